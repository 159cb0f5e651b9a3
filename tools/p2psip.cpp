// p2psip: the command-line client.
#include "node/config.h"
#include "node/download.h"
#include "node/http.h"
#include "node/json_views.h"
#include "node/log.h"
#include "node/lookup.h"
#include "node/version.h"

#include <boost/program_options.hpp>
#include <json/json.h>
#include <syslog.h>

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

using namespace p2psip;
using namespace std::chrono_literals;
namespace po = boost::program_options;

namespace {

// Exit codes shared by every command.
constexpr int kOk = 0;
constexpr int kError = 1;
constexpr int kNotFound = 2;

const char* kUsage = R"(Usage: p2psip COMMAND [OPTIONS]

Commands:
  status            the local node: identity, overlay, shares, transfers
  shares            the files the local node shares
  search WORDS...   search the overlay's file index by keywords
  get SHA256        download a file by its hash, verified, resumable (-o DIR/ or FILE)
  resolve AOR       look an address-of-record up and print its live contacts

Commands talk to the local p2psipd through its API (--api, token from --data-dir or
$P2PSIP_API_TOKEN). With --seed, search, get and resolve instead join the overlay as a
short-lived node and need no daemon.
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

    bool standalone() const { return !settings.seeds.empty(); } // --seed: no daemon
};

// The local daemon's JSON API.
class Daemon {
public:
    explicit Daemon(const po::variables_map& vm)
    {
        const auto api = vm["api"].as<std::string>();
        std::string error;
        const auto seed = overlay::parseSeed(api, &error); // same HOST:PORT syntax
        if (!seed)
            throw std::runtime_error("bad --api: " + error);
        host_ = seed->host;
        port_ = seed->port;
        if (const char* env = std::getenv("P2PSIP_API_TOKEN"); env && *env) {
            token_ = env;
        } else {
            const auto file = vm["data-dir"].as<std::string>() + "/api-token";
            std::ifstream in(file);
            if (!(in >> token_))
                throw std::runtime_error("no API token in " + file +
                                         ": is p2psipd running with that --data-dir? (or set "
                                         "P2PSIP_API_TOKEN, or pass --seed to work without it)");
        }
    }

    // Calls the API; a non-2xx answer throws with the server's error message.
    Json::Value call(const std::string& method, const std::string& target,
                     const std::string& body = {}, std::chrono::milliseconds timeout = 30s)
    {
        const auto r =
            node::httpCall(host_, port_, method, target, body, "Bearer " + token_, timeout);
        Json::Value v;
        Json::CharReaderBuilder builder;
        std::string errors;
        std::istringstream in(r.body);
        Json::parseFromStream(builder, in, &v, &errors);
        if (r.status < 200 || r.status > 299)
            throw std::runtime_error(
                "p2psipd answered " + std::to_string(r.status) + ": " +
                (v.isObject() && v["error"].isString() ? v["error"].asString() : r.body));
        return v;
    }

private:
    std::string host_;
    std::uint16_t port_ = 0;
    std::string token_;
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
    const char* home = std::getenv("HOME");
    // clang-format off
    po::options_description daemon("local node options");
    daemon.add_options()
        ("api", po::value<std::string>()->default_value("127.0.0.1:4223")->value_name("HOST:PORT"),
         "where the local p2psipd serves its API")
        ("data-dir", po::value<std::string>()->default_value(
             home ? std::string(home) + "/.p2psip" : ".p2psip")->value_name("DIR"),
         "the local p2psipd's data dir, which holds the API token");
    // clang-format on
    options.add(daemon);
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
    if (command.max_positional != 0 && !vm.count(command.positional))
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
        return command.run({vm.count(command.positional)
                                ? vm[command.positional].as<std::vector<std::string>>()
                                : std::vector<std::string>{},
                            *settings, std::chrono::milliseconds(std::llround(timeout * 1000)),
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
    std::vector<overlay::ResolvedContact> contacts;
    if (in.standalone()) {
        contacts = node::resolveAor(settings, *aor, timeout);
    } else {
        contacts = node::contactsFromJson(
            Daemon(vm).call("GET", "/api/v1/resolve?aor=" + node::urlEncode(aor->normalized()) +
                                       "&timeout=" + std::to_string(timeout.count() / 1000.0)));
    }
    if (json) {
        printJson(node::contactsJson(*aor, contacts));
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
    std::vector<overlay::SearchHit> hits;
    if (in.standalone()) {
        hits = node::searchFiles(settings, query, timeout);
    } else {
        hits = node::searchHitsFromJson(
            Daemon(vm).call("GET", "/api/v1/search?q=" + node::urlEncode(query) +
                                       "&timeout=" + std::to_string(timeout.count() / 1000.0)));
    }
    if (json) {
        printJson(node::searchJson(query, hits));
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

// Starts the transfer in the local p2psipd and follows it until it ends.
node::DownloadResult getThroughDaemon(const po::variables_map& vm, node::DownloadRequest request,
                                      ProgressPrinter& printer)
{
    Daemon daemon(vm);
    // The daemon has its own working directory: send an absolute path, trailing / kept.
    const bool is_dir = !request.output.empty() && request.output.string().back() == '/';
    request.output = std::filesystem::absolute(request.output).lexically_normal();
    Json::Value body;
    body["sha256"] = request.sha256;
    body["output"] =
        request.output.string() + (is_dir && request.output.string().back() != '/' ? "/" : "");
    const auto id = daemon.call("POST", "/api/v1/transfers",
                                Json::writeString(Json::StreamWriterBuilder(), body))["id"];
    const std::string target = "/api/v1/transfers/" + std::to_string(id.asUInt64());
    while (true) {
        const auto t = daemon.call("GET", target);
        node::DownloadProgress p{t["name"].asString(), t["size"].asUInt64(),
                                 t["received"].asUInt64(), t["provider"].asString(),
                                 t["bytes_per_second"].asDouble()};
        const auto state = t["state"].asString();
        if (state == "running") {
            if (p.size)
                printer(p);
            std::this_thread::sleep_for(250ms); // polling interval of a progress display
            continue;
        }
        node::DownloadResult result;
        result.status = state == "done"        ? node::DownloadResult::Status::done
                        : state == "not_found" ? node::DownloadResult::Status::not_found
                                               : node::DownloadResult::Status::failed;
        result.path = t["path"].asString();
        result.size = t["size"].asUInt64();
        result.provider = t["provider"].asString();
        result.error = t["error"].asString();
        result.seconds = t["seconds"].asDouble();
        return result;
    }
}

int get(const Invocation& in)
{
    const auto& [args, settings, timeout, json, vm] = in;
    node::DownloadRequest request{args.front(), vm["output"].as<std::string>()};
    node::DownloadResult result;
    {
        ProgressPrinter printer;
        if (in.standalone())
            result = node::downloadOnce(settings, request, timeout,
                                        [&](const node::DownloadProgress& p) { printer(p); });
        else
            result = getThroughDaemon(vm, request, printer);
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

int status(const Invocation& in)
{
    const auto v = Daemon(in.vm).call("GET", "/api/v1/status");
    if (in.json) {
        printJson(v);
        return kOk;
    }
    std::printf("p2psipd %s\n", v["version"].asCString());
    std::printf("  AOR        %s\n", v["aor"].asString().empty() ? "(none)" : v["aor"].asCString());
    for (const auto& c : v["contacts"])
        std::printf("  contact    %s\n", c.asCString());
    std::printf("  identity   %s\n", v["owner"].asCString());
    std::printf("  node id    %s\n", v["node_id"].asCString());
    std::printf("  overlay    %s, %u peers, UDP port %u\n",
                v["overlay"]["connected"].asBool() ? "connected" : "not connected",
                v["overlay"]["peers"].asUInt(), v["dht_port"].asUInt());
    std::printf("  SIP        UDP and TCP port %u\n", v["sip_port"].asUInt());
    std::printf("  shares     %llu files, %s\n",
                static_cast<unsigned long long>(v["shares"]["files"].asUInt64()),
                humanSize(v["shares"]["bytes"].asUInt64()).c_str());
    std::printf("  transfers  %llu running\n",
                static_cast<unsigned long long>(v["transfers"]["running"].asUInt64()));
    return kOk;
}

int shares(const Invocation& in)
{
    const auto v = Daemon(in.vm).call("GET", "/api/v1/shares");
    if (in.json) {
        printJson(v);
    } else if (v.empty()) {
        std::fprintf(stderr, "this node shares no files\n");
    } else {
        std::printf("%-40s %10s  %s\n", "NAME", "SIZE", "SHA-256");
        for (const auto& f : v)
            std::printf("%-40s %10s  %s\n", f["name"].asCString(),
                        humanSize(f["size"].asUInt64()).c_str(), f["sha256"].asCString());
    }
    return v.empty() ? kNotFound : kOk;
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
        return runCommand({"p2psip resolve AOR [--seed HOST:PORT] [OPTIONS]",
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
        return runCommand({"p2psip search WORDS... [--seed HOST:PORT] [OPTIONS]",
                           "Searches the overlay's file index: files whose names contain the\n"
                           "words, ranked by how many words match, then by providers.",
                           "words",
                           -1,
                           "search needs at least one word",
                           {},
                           search},
                          argc - 1, argv + 1);
    if (name == "status")
        return runCommand(
            {"p2psip status [OPTIONS]", "Shows the local node's state.", "none", 0, "", {}, status},
            argc - 1, argv + 1);
    if (name == "shares")
        return runCommand({"p2psip shares [OPTIONS]",
                           "Lists the files the local node shares.",
                           "none",
                           0,
                           "",
                           {},
                           shares},
                          argc - 1, argv + 1);
    if (name == "get")
        return runCommand(
            {"p2psip get SHA256 [-o DIR/|FILE] [--seed HOST:PORT] [OPTIONS]",
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
