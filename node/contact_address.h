// Which addresses a node puts into the contacts it publishes.
#pragma once

#include "overlay/aor.h"

#include <cstdint>
#include <string>
#include <vector>

namespace p2psip::node {

// `advertise` when given; else the bind address when it names one; else this host's
// non-loopback interface addresses (IPv4 first, at most a few); else 127.0.0.1.
std::vector<std::string> advertisedHosts(const std::vector<std::string>& advertise,
                                         const std::string& bind_address);

// "sip:user@host:port" (IPv6 hosts in brackets; no user part for a host-only AOR).
std::string contactUri(const overlay::Aor& aor, const std::string& host, std::uint16_t port);

} // namespace p2psip::node
