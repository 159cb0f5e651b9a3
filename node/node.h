// Node: one p2psip node — its event loop, overlay membership, SIP agent and the binding it
// keeps published for its AOR.
#pragma once

#include "node/config.h"

#include <memory>
#include <stdexcept>
#include <string>

namespace p2psip::node {

struct NodeError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class Node {
public:
    // Loads (or makes) the identity, binds the DHT and SIP ports, starts joining the overlay
    // and publishing the AOR binding. Throws NodeError with a one-line reason on failure.
    explicit Node(NodeConfig config);
    ~Node(); // same as stop()
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // Withdraws the AOR binding (waits a few seconds at most) and leaves the overlay.
    void stop();

    std::uint16_t dhtPort() const;
    std::uint16_t sipPort() const;
    std::vector<std::string> contacts() const; // the contact URIs this node publishes

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace p2psip::node
