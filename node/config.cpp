#include "node/config.h"

#include "node/log.h"
#include "node/version.h"
#include "overlay/overlay.h"

#include <boost/program_options.hpp>

#include <syslog.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace p2psip::node {
namespace po = boost::program_options;
namespace {

std::filesystem::path defaultDataDir()
{
    const char* home = std::getenv("HOME");
    return home && *home ? std::filesystem::path(home) / ".p2psip" : std::filesystem::path();
}

std::optional<std::uint16_t> readPort(const po::variables_map& vm, const char* name,
                                      std::string* error)
{
    const long value = vm[name].as<long>();
    if (value < 0 || value > 65535) {
        *error = std::string("--") + name + " must be 0..65535 (0 picks a free port), not " +
                 std::to_string(value);
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}

const char* kUsage = R"(Usage: p2psipd [OPTIONS]

p2psipd is a serverless SIP node. It joins a Kademlia overlay (OpenDHT) that replaces the
SIP registrar, publishes a signed binding of its address-of-record (AOR) to its SIP contact,
and answers SIP on its own port. With no --seed it founds a new overlay that others join.

Examples:
  p2psipd --aor sip:alice@example.org --data-dir ~/.p2psip                  # first node
  p2psipd --aor sip:bob@example.org --seed seed.example.net:4222            # join
  p2psip resolve sip:alice@example.org --seed seed.example.net:4222         # look up

Every option can also be set in the --config file as "name = value" lines (repeat a line
for repeatable options); the command line wins over the file.
)";

po::options_description nodeOptions()
{
    po::options_description node("Node options");
    // clang-format off
    node.add_options()
        ("aor", po::value<std::string>()->value_name("AOR"),
         "address-of-record to register, e.g. sip:alice@example.org; without it the node only "
         "serves the overlay (a seed)")
        ("dht-port", po::value<long>()->default_value(4222)->value_name("PORT"),
         "UDP port of the overlay (0: pick one)")
        ("sip-port", po::value<long>()->default_value(5060)->value_name("PORT"),
         "UDP and TCP port of SIP (0: pick one)")
        ("advertise", po::value<std::vector<std::string>>()->value_name("HOST"),
         "host or address put in the published contact (repeatable); default: the --bind "
         "address, or this host's non-loopback addresses")
        ("data-dir", po::value<std::string>()->value_name("DIR"),
         "where the node keeps its identity (default: ~/.p2psip)")
        ("record-lifetime", po::value<long>()->default_value(120)->value_name("SECONDS"),
         "seconds a published binding stays valid; it is refreshed at half of that (30..86400)")
        ("share", po::value<std::vector<std::string>>()->value_name("DIR"),
         "folder whose files this node shares (repeatable; needs --aor)")
        ("rescan-interval", po::value<long>()->default_value(60)->value_name("SECONDS"),
         "how often shared folders are scanned for added, changed and removed files (5..86400)")
        ("api-port", po::value<long>()->default_value(4223)->value_name("PORT"),
         "port of the local JSON API on 127.0.0.1 (0: pick one, -1: no API)")
        ("upload-rate-limit", po::value<long>()->default_value(0)->value_name("KIB"),
         "KiB/s each upload may send at most (0: unlimited)")
        ("peer-rate-limit", po::value<long>()->default_value(0)->value_name("N"),
         "requests/s accepted from one IP address (0: OpenDHT default, -1: unlimited, for "
         "testbeds where all nodes share an address)");
    // clang-format on
    return node;
}

} // namespace

po::options_description overlayOptions(const std::string& default_log_level)
{
    po::options_description overlay("Overlay options");
    // clang-format off
    overlay.add_options()
        ("seed", po::value<std::vector<std::string>>()->value_name("HOST:PORT"),
         "HOST:PORT of a node already in the overlay (repeatable; IPv6 as [addr]:port)")
        ("seeds-file", po::value<std::string>()->value_name("FILE"),
         "file of seeds, one per line, # comments")
        ("network-id",
         po::value<long long>()->default_value(overlay::kDefaultNetworkId)->value_name("N"),
         "overlay network id; nodes only talk to nodes with the same id")
        ("bind", po::value<std::string>()->value_name("ADDR"),
         "address to listen on (default: every interface)")
        ("log-level",
         po::value<std::string>()->default_value(default_log_level)->value_name("LEVEL"),
         "error, warning, info or debug");
    // clang-format on
    return overlay;
}

std::optional<OverlaySettings> readOverlaySettings(const po::variables_map& vm, std::string* error)
{
    OverlaySettings settings;
    if (vm.count("seed")) {
        for (const auto& text : vm["seed"].as<std::vector<std::string>>()) {
            std::string reason;
            auto seed = overlay::parseSeed(text, &reason);
            if (!seed) {
                *error = "bad --seed: " + reason;
                return std::nullopt;
            }
            settings.seeds.push_back(*seed);
        }
    }
    if (vm.count("seeds-file")) {
        auto seeds = overlay::parseSeedsFile(vm["seeds-file"].as<std::string>(), error);
        if (!seeds)
            return std::nullopt;
        settings.seeds.insert(settings.seeds.end(), seeds->begin(), seeds->end());
    }
    const long long network_id = vm["network-id"].as<long long>();
    if (network_id < 0 || network_id > 0xffffffffLL) {
        *error = "--network-id must be 0..4294967295, not " + std::to_string(network_id);
        return std::nullopt;
    }
    settings.network_id = static_cast<std::uint32_t>(network_id);
    if (vm.count("bind"))
        settings.bind_address = vm["bind"].as<std::string>();
    if (vm.count("peer-rate-limit"))
        settings.peer_rate_limit = vm["peer-rate-limit"].as<long>();
    if (settings.peer_rate_limit < -1) {
        *error = "--peer-rate-limit must be -1 (unlimited), 0 (default) or positive";
        return std::nullopt;
    }
    return settings;
}

std::optional<int> readLogLevel(const po::variables_map& vm, std::string* error)
{
    const auto& name = vm["log-level"].as<std::string>();
    auto level = Log::parseLevel(name);
    if (!level)
        *error = "unknown --log-level '" + name + "' (expected error, warning, info or debug)";
    return level;
}

ParsedCommandLine parseNodeCommandLine(int argc, const char* const argv[])
{
    ParsedCommandLine result;
    po::options_description generic("General");
    // clang-format off
    generic.add_options()
        ("help,h", "print this help and exit")
        ("version", "print the version and exit")
        ("config", po::value<std::string>()->value_name("FILE"), "read options from this file");
    // clang-format on
    po::options_description file_options;
    file_options.add(nodeOptions()).add(overlayOptions("info"));
    po::options_description all;
    all.add(generic).add(file_options);

    po::variables_map vm;
    try {
        po::store(po::parse_command_line(argc, argv, all), vm);
        if (vm.count("config")) {
            const auto path = vm["config"].as<std::string>();
            std::ifstream in(path);
            if (!in) {
                result.message = "cannot read config file " + path;
                return result;
            }
            // Stored after the command line: values already set there take precedence.
            po::store(po::parse_config_file(in, file_options), vm);
        }
        po::notify(vm);
    } catch (const po::error& e) {
        result.message = e.what();
        return result;
    }

    if (vm.count("help")) {
        std::ostringstream out;
        out << kUsage << "\n" << all;
        result.action = ParsedCommandLine::Action::help;
        result.message = out.str();
        return result;
    }
    if (vm.count("version")) {
        result.action = ParsedCommandLine::Action::version;
        result.message = std::string("p2psipd ") + kVersion;
        return result;
    }

    NodeConfig& config = result.config;
    std::string error;
    if (vm.count("aor")) {
        config.aor = overlay::Aor::parse(vm["aor"].as<std::string>(), &error);
        if (!config.aor) {
            result.message = "bad --aor: " + error;
            return result;
        }
    }
    auto overlay_settings = readOverlaySettings(vm, &error);
    auto dht_port = readPort(vm, "dht-port", &error);
    auto sip_port = dht_port ? readPort(vm, "sip-port", &error) : std::nullopt;
    auto log_level = sip_port ? readLogLevel(vm, &error) : std::nullopt;
    if (!overlay_settings || !log_level) {
        result.message = error;
        return result;
    }
    config.overlay = std::move(*overlay_settings);
    config.dht_port = *dht_port;
    config.sip_port = *sip_port;
    config.log_level = *log_level;
    if (vm.count("advertise"))
        config.advertise = vm["advertise"].as<std::vector<std::string>>();
    config.data_dir = vm.count("data-dir") ? std::filesystem::path(vm["data-dir"].as<std::string>())
                                           : defaultDataDir();
    if (config.data_dir.empty()) {
        result.message = "no --data-dir given and $HOME is not set";
        return result;
    }
    const long lifetime = vm["record-lifetime"].as<long>();
    if (lifetime < 30 || lifetime > 86400) {
        result.message = "--record-lifetime must be 30..86400 seconds";
        return result;
    }
    config.record_lifetime = std::chrono::seconds(lifetime);
    if (vm.count("share")) {
        if (!config.aor) {
            result.message = "--share needs --aor: peers fetch shared files through the AOR";
            return result;
        }
        for (const auto& dir : vm["share"].as<std::vector<std::string>>())
            config.shares.push_back(std::filesystem::absolute(dir).lexically_normal());
    }
    const long rescan = vm["rescan-interval"].as<long>();
    if (rescan < 5 || rescan > 86400) {
        result.message = "--rescan-interval must be 5..86400 seconds";
        return result;
    }
    config.rescan_interval = std::chrono::seconds(rescan);
    const long upload_limit = vm["upload-rate-limit"].as<long>();
    if (upload_limit < 0) {
        result.message = "--upload-rate-limit must be 0 (unlimited) or positive KiB/s";
        return result;
    }
    config.upload_rate_limit = static_cast<std::uint64_t>(upload_limit) * 1024;
    const long api_port = vm["api-port"].as<long>();
    if (api_port < -1 || api_port > 65535) {
        result.message = "--api-port must be -1 (no API), 0 (pick one) or a port";
        return result;
    }
    config.api_port = static_cast<int>(api_port);
    result.action = ParsedCommandLine::Action::run;
    return result;
}

} // namespace p2psip::node
