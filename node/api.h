// Api: the JSON over HTTP API a running node serves on 127.0.0.1 for the CLI and scripts,
// in the spirit of IPFS's, Transmission's and Syncthing's. Every request carries the token
// from DATA_DIR/api-token ("Authorization: Bearer TOKEN"); others get 401.
//
//   GET    /api/v1/status                   node, overlay, shares, transfers
//   GET    /api/v1/shares                   the files this node shares
//   GET    /api/v1/search?q=WORDS           the overlay's file index
//   GET    /api/v1/resolve?aor=AOR          live contacts of an AOR
//   POST   /api/v1/transfers                {"sha256": ..., "output": DIR/ or FILE} -> 202 {"id"}
//   GET    /api/v1/transfers                every transfer with progress
//   GET    /api/v1/transfers/ID             one transfer
//   DELETE /api/v1/transfers/ID             cancel
//
// Errors are {"error": "one line"} with 400 (bad JSON, bad hash, bad AOR), 401, 404, 405 or
// 503 (too many transfers).
#pragma once

#include "node/http.h"

#include <filesystem>
#include <functional>
#include <string>

namespace Json {
class Value;
}
namespace p2psip::overlay {
class Overlay;
}

namespace p2psip::node {

class Library;
class Transfers;

struct ApiContext {
    overlay::Overlay& overlay;
    Library* library; // null when the node shares nothing
    Transfers& transfers;
    std::function<void(Json::Value&)> describe_node; // fills the node's part of /status
    std::string token;
};

HttpResponse handleApiRequest(const ApiContext& context, const HttpRequest& request);

// Reads DATA_DIR/api-token, or creates it (32 random bytes in hex, mode 0600).
// Throws std::runtime_error when it can do neither.
std::string loadOrCreateApiToken(const std::filesystem::path& data_dir);

} // namespace p2psip::node
