// p2psip: the command-line client.
#include "node/config.h"
#include "node/log.h"
#include "node/lookup.h"
#include "node/version.h"

#include <boost/program_options.hpp>
#include <json/json.h>

#include <syslog.h>

#include <cmath>
#include <cstdio>
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
  resolve AOR   look an address-of-record up in the overlay and print its live contacts

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

int resolveCommand(int argc, char* argv[])
{
    po::options_description options("resolve options");
    // clang-format off
    options.add_options()
        ("help,h", "print this help")
        ("timeout", po::value<double>()->default_value(5.0)->value_name("SECONDS"),
         "seconds to wait at most; the first answers return sooner")
        ("json", "print {\"aor\", \"contacts\": [{\"uri\", \"owner\", \"expires_in\"}]}");
    // clang-format on
    options.add(node::overlayOptions("warning"));
    po::options_description hidden;
    // clang-format off
    hidden.add_options()("aor", po::value<std::string>());
    // clang-format on
    po::options_description all;
    all.add(options).add(hidden);
    po::positional_options_description positional;
    positional.add("aor", 1);

    po::variables_map vm;
    try {
        po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        return fail(e.what());
    }
    if (vm.count("help")) {
        std::cout << "Usage: p2psip resolve AOR --seed HOST:PORT [OPTIONS]\n\n"
                     "Joins the overlay as a short-lived node, looks AOR up, and prints every\n"
                     "live contact with its owner's key fingerprint and remaining lifetime.\n\n"
                  << options;
        return kOk;
    }
    if (!vm.count("aor"))
        return fail(
            "resolve needs an AOR, e.g. p2psip resolve sip:alice@example.org --seed HOST:PORT");

    std::string error;
    auto aor = overlay::Aor::parse(vm["aor"].as<std::string>(), &error);
    if (!aor)
        return fail("bad AOR: " + error);
    auto settings = node::readOverlaySettings(vm, &error);
    auto level = settings ? node::readLogLevel(vm, &error) : std::nullopt;
    if (!settings || !level)
        return fail(error);
    node::Log::setLevel(*level);
    const double timeout = vm["timeout"].as<double>();
    if (!(timeout > 0 && timeout <= 3600))
        return fail("--timeout must be between 0 and 3600 seconds");

    std::vector<overlay::ResolvedContact> contacts;
    try {
        contacts = node::resolveAor(*settings, *aor,
                                    std::chrono::milliseconds(std::llround(timeout * 1000)));
    } catch (const std::exception& e) {
        return fail(e.what());
    }

    if (vm.count("json")) {
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

} // namespace

int main(int argc, char* argv[])
{
    if (argc < 2) {
        std::fputs(kUsage, stderr);
        return kError;
    }
    const std::string command = argv[1];
    if (command == "--help" || command == "-h" || command == "help") {
        std::fputs(kUsage, stdout);
        return kOk;
    }
    if (command == "--version") {
        std::printf("p2psip %s\n", kVersion);
        return kOk;
    }
    if (command == "resolve")
        return resolveCommand(argc - 1, argv + 1);
    std::fprintf(stderr, "p2psip: error: unknown command '%s'\nTry 'p2psip --help'.\n",
                 command.c_str());
    return kError;
}
