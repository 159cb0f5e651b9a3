// A deliberately naive overlay node for the crash-guard test: a plain OpenDHT node that
// registers p2psip's record type with registerType(), as an obvious implementation would.
// Usage: naive_dht_node NETWORK_ID; prints "port N" and runs until killed.
#include <opendht.h>

#include <cstdio>
#include <cstdlib>
#include <unistd.h>

int main(int argc, char* argv[])
{
    if (argc != 2)
        return 1;
    dht::DhtRunner::Config config;
    config.dht_config.node_config.network =
        static_cast<dht::NetId>(std::strtoul(argv[1], nullptr, 0));
    config.threaded = true;
    dht::DhtRunner node;
    node.run(0, config);
    node.registerType(dht::ValueType(0x5032, "naive p2psip contact", std::chrono::minutes(10)));
    std::printf("port %u\n", node.getBoundPort());
    std::fflush(stdout);
    pause();
}
