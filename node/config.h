// Node configuration: the command line and the --config file, with the same option names.
#pragma once

#include "overlay/aor.h"
#include "overlay/seed.h"

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/variables_map.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace p2psip::node {

// How a process reaches the overlay: shared by p2psipd and the CLI's short-lived nodes.
struct OverlaySettings {
    std::vector<overlay::Seed> seeds; // --seed and --seeds-file together
    std::uint32_t network_id = 0;
    std::string bind_address; // empty: every interface
    long peer_rate_limit = 0; // 0: OpenDHT's default; -1: unlimited
};

struct NodeConfig {
    std::optional<overlay::Aor> aor; // none: a plain overlay node (e.g. a seed)
    OverlaySettings overlay;
    std::uint16_t dht_port = 4222;
    std::uint16_t sip_port = 5060;
    std::vector<std::string> advertise; // hosts put in published contacts; empty: derived
    std::filesystem::path data_dir;
    int log_level = 0;                         // syslog priority
    std::chrono::seconds record_lifetime{120}; // how long a published binding stays valid
    std::vector<std::filesystem::path> shares; // folders whose files the node shares
    std::chrono::seconds rescan_interval{60};  // how often shared folders are rescanned
    std::uint64_t upload_rate_limit = 0;       // bytes per second per upload; 0: unlimited
    int api_port = 4223;                       // local JSON API on 127.0.0.1; 0: pick one; -1: off
};

// What the command line asks for.
struct ParsedCommandLine {
    enum class Action { run, help, version, error };
    Action action = Action::error;
    NodeConfig config;
    std::string message; // help text, or a one-line error
};

ParsedCommandLine parseNodeCommandLine(int argc, const char* const argv[]);

// The overlay options (--seed, --seeds-file, --network-id, --bind, --log-level), shared with
// the CLI, whose short-lived nodes log less by default.
boost::program_options::options_description overlayOptions(const std::string& default_log_level);
// Reads them back; returns nullopt and a one-line reason in *error.
std::optional<OverlaySettings> readOverlaySettings(const boost::program_options::variables_map& vm,
                                                   std::string* error);
// Reads --log-level; returns nullopt and a reason in *error for an unknown level.
std::optional<int> readLogLevel(const boost::program_options::variables_map& vm,
                                std::string* error);

} // namespace p2psip::node
