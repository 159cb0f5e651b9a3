// p2psip: the command-line client.
#include "node/config.h"
#include "node/download.h"
#include "node/log.h"
#include "node/lookup.h"
#include "node/version.h"

#include <boost/program_options.hpp>
#include <json/json.h>
#include <syslog.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <iostream>
#include <memory>

using namespace p2psip;
namespace po = boost::program_options;

namespace {

// Exit codes shared by every command.
constexpr int kOk = 0;
constexpr int kError = 1;
constexpr int kNotFound = 2;

const char* kUsage = R"(Usage: p2psip COMMAND [OPTIONS]

Commands:
  resolve AOR       look an address-of-record up and print its live contacts
  search WORDS...   search the overlay's file index by keywords
  get SHA256        download a file by its hash, verified, resumable (-o DIR/ or FILE)

They join the overlay as a short-lived node (no daemon needed) through --seed.
Run 'p2psip COMMAND --help' for the options of a command.
Exit codes: 0 ok, 2 nothing found, 1 error.
)";

int fail(const std::string& message)
{
    std::fprintf(stderr, "p2psip: error: %s\n", message.c_str());
    return kError;
}

void printJson(const Json::Value& value)
{
    Json::StreamWriterBuilder builder;
    builder["indentation"] = "  ";
    std::unique_ptr<Json::StreamWriter> writer(builder.newStreamWriter());
    writer->write(value, &std::cout);
    std::cout << std::endl;
}

std::string humanSize(std::uint64_t bytes)
{
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1024 && unit < 4) {
        value /= 1024;
        ++unit;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, unit ? "%.1f %s" : "%.0f %s", value, units[unit]);
    return buf;
}

// Progress on stderr: a bar that redraws itself on a terminal, a line every 10% otherwise.
class ProgressPrinter {
public:
    ProgressPrinter() : tty_(::isatty(STDERR_FILENO) == 1) {}

    void operator()(const node::DownloadProgress& p)
    {
        const double fraction = p.size ? static_cast<double>(p.received) / p.size : 1.0;
        const double eta = p.bytes_per_second > 0 ? (p.size - p.received) / p.bytes_per_second : 0;
        if (tty_) {
            const int width = 30, filled = static_cast<int>(fraction * width);
            std::fprintf(stderr, "\r[%s%s] %3.0f%%  %s/s  ETA %.0fs  from %s   ",
                         std::string(filled, '=').c_str(), std::string(width - filled, ' ').c_str(),
                         fraction * 100,
                         humanSize(static_cast<std::uint64_t>(p.bytes_per_second)).c_str(), eta,
                         p.provider.c_str());
            drawn_ = true;
        } else if (static_cast<int>(fraction * 10) > last_decile_) {
            last_decile_ = static_cast<int>(fraction * 10);
            std::fprintf(stderr, "%s: %3.0f%% (%s of %s) %s/s from %s\n", p.name.c_str(),
                         fraction * 100, humanSize(p.received).c_str(), humanSize(p.size).c_str(),
                         humanSize(static_cast<std::uint64_t>(p.bytes_per_second)).c_str(),
                         p.provider.c_str());
        }
    }
    ~ProgressPrinter()
    {
        if (drawn_)
            std::fputc('\n', stderr);
    }

private:
    bool tty_;
    bool drawn_ = false;
    int last_decile_ = -1;
};

// What every overlay command shares: parsing (its own options, the overlay options,
// --timeout, --json, --help, positional arguments), log level and timeout checks.
struct Command {
    std::string usage;       // first help line
    std::string description; // help paragraph
    std::string positional;  // name of the positional argument(s)
    int max_positional = 1;  // -1: any number
    std::string missing;     // error when the positional argument is missing
    std::function<void(po::options_description&)> add_options; // the command's own, if any
    std::function<int(const struct Invocation&)> run;
};

// A parsed command line, as a command's run() gets it.
struct Invocation {
    std::vector<std::string> args; // the positional arguments
    node::OverlaySettings settings;
    std::chrono::milliseconds timeout;
    bool json;
    const po::variables_map& vm;
};

int runCommand(const Command& command, int argc, char* argv[])
{
    po::options_description options("options");
    // clang-format off
    options.add_options()
        ("help,h", "print this help")
        ("timeout", po::value<double>()->default_value(5.0)->value_name("SECONDS"),
         "seconds to wait at most; the first answers return sooner")
        ("json", "print JSON instead of a table");
    // clang-format on
    if (command.add_options)
        command.add_options(options);
    options.add(node::overlayOptions("warning"));
    po::options_description hidden;
    hidden.add_options()(command.positional.c_str(), po::value<std::vector<std::string>>());
    po::options_description all;
    all.add(options).add(hidden);
    po::positional_options_description positional;
    positional.add(command.positional.c_str(), command.max_positional);

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return fail(e.what());
    }
    if (vm.count("help")) {
        std::cout << "Usage: " << command.usage << "\n\n"
                  << command.description << "\n\n"
                  << options;
        return kOk;
    }
    if (!vm.count(command.positional))
        return fail(command.missing);
    std::string error;
    auto settings = node::readOverlaySettings(vm, &error);
    auto level = settings ? node::readLogLevel(vm, &error) : std::nullopt;
    if (!settings || !level)
        return fail(error);
    node::Log::setLevel(*level);
    const double timeout = vm["timeout"].as<double>();
    if (!(timeout > 0 && timeout <= 3600))
        return fail("--timeout must be between 0 and 3600 seconds");
    try {
        return command.run({vm[command.positional].as<std::vector<std::string>>(), *settings,
                            std::chrono::milliseconds(std::llround(timeout * 1000)),
                            vm.count("json") > 0, vm});
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

int resolve(const Invocation& in)
{
    const auto& [args, settings, timeout, json, vm] = in;
    std::string error;
    auto aor = overlay::Aor::parse(args.front(), &error);
    if (!aor)
        return fail("bad AOR: " + error);
    const auto contacts = node::resolveAor(settings, *aor, timeout);
    if (json) {
        Json::Value out;
        out["aor"] = aor->normalized();
        out["contacts"] = Json::Value(Json::arrayValue);
        for (const auto& c : contacts) {
            Json::Value entry;
            entry["uri"] = c.uri;
            entry["owner"] = c.owner;
            entry["expires_in"] = static_cast<Json::Int64>(c.expires_in);
            entry["node_id"] = c.node_id;
            entry["instance_id"] = c.instance_id;
            out["contacts"].append(entry);
        }
        printJson(out);
    } else if (contacts.empty()) {
        std::fprintf(stderr, "%s: no live binding found\n", aor->normalized().c_str());
    } else {
        std::printf("%s\n", aor->normalized().c_str());
        for (const auto& c : contacts)
            std::printf("  %-40s owner %s  expires in %llds\n", c.uri.c_str(), c.owner.c_str(),
                        static_cast<long long>(c.expires_in));
    }
    return contacts.empty() ? kNotFound : kOk;
}

int search(const Invocation& in)
{
    const auto& [args, settings, timeout, json, vm] = in;
    std::string query;
    for (const auto& word : args)
        query += (query.empty() ? "" : " ") + word;
    const auto hits = node::searchFiles(settings, query, timeout);
    if (json) {
        Json::Value out;
        out["query"] = query;
        out["results"] = Json::Value(Json::arrayValue);
        for (const auto& hit : hits) {
            Json::Value entry;
            entry["sha256"] = hit.file.sha256;
            entry["name"] = hit.file.name;
            entry["size"] = static_cast<Json::UInt64>(hit.file.size);
            entry["type"] = hit.file.media_type;
            entry["matched_words"] = hit.matched_words;
            entry["providers"] = Json::Value(Json::arrayValue);
            for (const auto& p : hit.providers)
                entry["providers"].append(p);
            out["results"].append(entry);
        }
        printJson(out);
    } else if (hits.empty()) {
        std::fprintf(stderr, "no file matches '%s'\n", query.c_str());
    } else {
        std::printf("%-40s %10s  %-12s  %s\n", "NAME", "SIZE", "SHA-256", "PROVIDERS");
        for (const auto& hit : hits)
            std::printf("%-40s %10s  %-12s  %zu\n", hit.file.name.c_str(),
                        humanSize(hit.file.size).c_str(), hit.file.sha256.substr(0, 12).c_str(),
                        hit.providers.size());
    }
    return hits.empty() ? kNotFound : kOk;
}

int get(const Invocation& in)
{
    const auto& [args, settings, timeout, json, vm] = in;
    node::DownloadRequest request{args.front(), vm["output"].as<std::string>()};
    node::DownloadResult result;
    {
        ProgressPrinter printer;
        result = node::downloadOnce(settings, request, timeout,
                                    [&](const node::DownloadProgress& p) { printer(p); });
    }
    if (json) {
        Json::Value out;
        out["sha256"] = request.sha256;
        out["status"] = result.status == node::DownloadResult::Status::done        ? "done"
                        : result.status == node::DownloadResult::Status::not_found ? "not_found"
                                                                                   : "failed";
        out["path"] = result.path.string();
        out["size"] = static_cast<Json::UInt64>(result.size);
        out["provider"] = result.provider;
        out["seconds"] = result.seconds;
        if (!result.error.empty())
            out["error"] = result.error;
        printJson(out);
    }
    switch (result.status) {
    case node::DownloadResult::Status::done:
        if (!json)
            std::printf("%s  %s  %.1f s from %s\n", result.path.c_str(),
                        humanSize(result.size).c_str(), result.seconds, result.provider.c_str());
        return kOk;
    case node::DownloadResult::Status::not_found:
        if (!json)
            std::fprintf(stderr, "p2psip: %s\n", result.error.c_str());
        return kNotFound;
    case node::DownloadResult::Status::failed:
        break;
    }
    return json ? kError : fail(result.error);
}

} // namespace

int main(int argc, char* argv[])
{
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return kError;
    }
    const std::string name = argv[1];
    if (name == "--help" || name == "-h" || name == "help") {
        std::fputs(kUsage, stdout);
        return kOk;
    }
    if (name == "--version") {
        std::printf("p2psip %s\n", kVersion);
        return kOk;
    }
    if (name == "resolve")
        return runCommand({"p2psip resolve AOR --seed HOST:PORT [OPTIONS]",
                           "Looks AOR up in the overlay and prints every live contact with its\n"
                           "owner's key fingerprint and remaining lifetime.",
                           "aor",
                           1,
                           "resolve needs an AOR, e.g. p2psip resolve sip:alice@example.org "
                           "--seed HOST:PORT",
                           {},
                           resolve},
                          argc - 1, argv + 1);
    if (name == "search")
        return runCommand({"p2psip search WORDS... --seed HOST:PORT [OPTIONS]",
                           "Searches the overlay's file index: files whose names contain the\n"
                           "words, ranked by how many words match, then by providers.",
                           "words",
                           -1,
                           "search needs at least one word",
                           {},
                           search},
                          argc - 1, argv + 1);
    if (name == "get")
        return runCommand(
            {"p2psip get SHA256 [-o DIR/|FILE] --seed HOST:PORT [OPTIONS]",
             "Downloads the file with this SHA-256 from the nodes that share it, inside SIP\n"
             "INVITE sessions. Data goes to NAME.part and is renamed only once its size and\n"
             "SHA-256 match; an interrupted download resumes from the .part file.",
             "sha256", 1, "get needs the SHA-256 of a file (see p2psip search)",
             [](po::options_description& options) {
                 options.add_options()(
                     "output,o", po::value<std::string>()->default_value("./")->value_name("PATH"),
                     "a folder (ending in /) to save under the shared name, "
                     "or a file path");
             },
             get},
            argc - 1, argv + 1);
    std::fprintf(stderr, "p2psip: error: unknown command '%s'\nTry 'p2psip --help'.\n",
                 name.c_str());
    return kError;
}
