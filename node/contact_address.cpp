#include "node/contact_address.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <algorithm>

namespace p2psip::node {
namespace {

constexpr std::size_t kMaxInterfaceAddresses = 4;

bool isWildcard(const std::string& bind)
{
    return bind.empty() || bind == "*" || bind == "0.0.0.0" || bind == "::" || bind == "[::]";
}

std::vector<std::string> interfaceAddresses()
{
    std::vector<std::string> v4, v6;
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0)
        return {};
    for (ifaddrs* i = list; i; i = i->ifa_next) {
        if (!i->ifa_addr || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
            continue;
        char buf[INET6_ADDRSTRLEN];
        if (i->ifa_addr->sa_family == AF_INET) {
            const auto* sin = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            if (inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof buf))
                v4.emplace_back(buf);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            // Link-local addresses need a zone and mean nothing to other hosts.
            if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr))
                continue;
            if (inet_ntop(AF_INET6, &sin6->sin6_addr, buf, sizeof buf))
                v6.emplace_back(buf);
        }
    }
    freeifaddrs(list);
    v4.insert(v4.end(), v6.begin(), v6.end());
    if (v4.size() > kMaxInterfaceAddresses)
        v4.resize(kMaxInterfaceAddresses);
    return v4;
}

} // namespace

std::vector<std::string> advertisedHosts(const std::vector<std::string>& advertise,
                                         const std::string& bind_address)
{
    if (!advertise.empty())
        return advertise;
    if (!isWildcard(bind_address))
        return {bind_address};
    auto found = interfaceAddresses();
    if (found.empty())
        found.push_back("127.0.0.1");
    return found;
}

std::string contactUri(const overlay::Aor& aor, const std::string& host, std::uint16_t port)
{
    std::string h = host;
    if (h.find(':') != std::string::npos && h.front() != '[')
        h = "[" + h + "]";
    std::string uri = aor.scheme() + ":";
    if (!aor.user().empty())
        uri += aor.user() + "@";
    return uri + h + ":" + std::to_string(port);
}

} // namespace p2psip::node
