#include "node/api.h"

#include "node/json_views.h"
#include "node/library.h"
#include "node/sha256.h"
#include "node/short_lived.h"
#include "node/transfers.h"
#include "overlay/overlay.h"

#include <fcntl.h>
#include <json/json.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>

namespace p2psip::node {
namespace {

constexpr const char* kPrefix = "/api/v1/";
constexpr std::chrono::milliseconds kDefaultLookupTimeout{3000};

std::string toJson(const Json::Value& value)
{
    Json::StreamWriterBuilder builder;
    builder["indentation"] = "";
    return Json::writeString(builder, value);
}

HttpResponse json(int status, const Json::Value& value)
{
    return {status, toJson(value) + "\n"};
}

HttpResponse error(int status, const std::string& message)
{
    Json::Value v;
    v["error"] = message;
    return json(status, v);
}

// Compares without an early exit, so timing says nothing about the token.
bool sameSecret(const std::string& a, const std::string& b)
{
    if (a.size() != b.size())
        return false;
    unsigned char diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    return diff == 0;
}

std::chrono::milliseconds lookupTimeout(const HttpRequest& request)
{
    const auto it = request.query.find("timeout");
    if (it == request.query.end())
        return kDefaultLookupTimeout;
    try {
        const double seconds = std::stod(it->second);
        if (seconds > 0 && seconds <= 30)
            return std::chrono::milliseconds(static_cast<long>(seconds * 1000));
    } catch (const std::exception&) {
    }
    return kDefaultLookupTimeout;
}

Json::Value transferJson(const TransferInfo& t)
{
    Json::Value v;
    v["id"] = static_cast<Json::UInt64>(t.id);
    v["sha256"] = t.sha256;
    v["state"] = t.state;
    v["name"] = t.progress.name;
    v["size"] = static_cast<Json::UInt64>(t.progress.size);
    v["received"] = static_cast<Json::UInt64>(t.progress.received);
    v["bytes_per_second"] = t.progress.bytes_per_second;
    v["provider"] = t.progress.provider;
    v["path"] = t.path;
    v["seconds"] = t.seconds;
    if (!t.error.empty())
        v["error"] = t.error;
    return v;
}

HttpResponse status(const ApiContext& c)
{
    Json::Value v;
    if (c.describe_node)
        c.describe_node(v);
    const auto s = c.overlay.status();
    v["overlay"]["connected"] = s.connected;
    v["overlay"]["peers"] = s.known_peers;
    std::uint64_t bytes = 0;
    const auto files = c.library ? c.library->files() : std::vector<SharedFile>{};
    for (const auto& f : files)
        bytes += f.size;
    v["shares"]["files"] = static_cast<Json::UInt64>(files.size());
    v["shares"]["bytes"] = static_cast<Json::UInt64>(bytes);
    v["transfers"]["running"] = static_cast<Json::UInt64>(c.transfers.running());
    return json(200, v);
}

HttpResponse shares(const ApiContext& c)
{
    Json::Value v(Json::arrayValue);
    if (c.library) {
        for (const auto& f : c.library->files()) {
            Json::Value entry;
            entry["sha256"] = f.sha256;
            entry["name"] = f.name;
            entry["size"] = static_cast<Json::UInt64>(f.size);
            entry["type"] = f.media_type;
            entry["path"] = f.path.string();
            v.append(entry);
        }
    }
    return json(200, v);
}

HttpResponse search(const ApiContext& c, const HttpRequest& r)
{
    const auto q = r.query.find("q");
    if (q == r.query.end() || q->second.empty())
        return error(400, "search needs ?q=WORDS");
    const auto hits = collect<std::vector<overlay::SearchHit>>(
        Clock::now() + lookupTimeout(r), [&](auto on_update, auto on_done) {
            c.overlay.search(q->second, {std::move(on_update), std::move(on_done)});
        });
    return json(200, searchJson(q->second, hits));
}

HttpResponse resolve(const ApiContext& c, const HttpRequest& r)
{
    const auto a = r.query.find("aor");
    std::string reason = "resolve needs ?aor=AOR";
    const auto aor = a == r.query.end() ? std::nullopt : overlay::Aor::parse(a->second, &reason);
    if (!aor)
        return error(400, "bad AOR: " + reason);
    const auto contacts = collect<std::vector<overlay::ResolvedContact>>(
        Clock::now() + lookupTimeout(r), [&](auto on_update, auto on_done) {
            c.overlay.resolve(*aor, {std::move(on_update), std::move(on_done)});
        });
    return json(200, contactsJson(*aor, contacts));
}

HttpResponse startTransfer(const ApiContext& c, const HttpRequest& r)
{
    Json::Value body;
    Json::CharReaderBuilder builder;
    Json::CharReaderBuilder::strictMode(&builder.settings_);
    std::string errors;
    std::istringstream in(r.body);
    if (!Json::parseFromStream(builder, in, &body, &errors) || !body.isObject())
        return error(400, "the body must be a JSON object: " + errors.substr(0, 200));
    if (!body["sha256"].isString() || !Sha256::isHex(body["sha256"].asString()))
        return error(400, "\"sha256\" must be 64 lower-case hex digits");
    if (!body["output"].isString() || body["output"].asString().empty() ||
        body["output"].asString().front() != '/')
        return error(400, "\"output\" must be an absolute path (a folder ending in / or a file)");
    const auto id = c.transfers.start({body["sha256"].asString(), body["output"].asString()});
    if (!id)
        return error(503, "too many transfers running; try again later");
    Json::Value v;
    v["id"] = static_cast<Json::UInt64>(*id);
    return json(202, v);
}

std::optional<std::uint64_t> transferId(const std::string& text)
{
    if (text.empty() || text.size() > 18 ||
        text.find_first_not_of("0123456789") != std::string::npos)
        return std::nullopt;
    return std::stoull(text);
}

} // namespace

HttpResponse handleApiRequest(const ApiContext& c, const HttpRequest& r)
{
    if (!sameSecret(r.authorization, "Bearer " + c.token))
        return error(401, "missing or wrong API token (see DATA_DIR/api-token)");
    if (r.path.rfind(kPrefix, 0) != 0)
        return error(404, "no such endpoint: " + r.path);
    const std::string route = r.path.substr(std::strlen(kPrefix));
    const auto only = [&](const char* method) { return r.method == method; };
    if (route == "status")
        return only("GET") ? status(c) : error(405, "use GET");
    if (route == "shares")
        return only("GET") ? shares(c) : error(405, "use GET");
    if (route == "search")
        return only("GET") ? search(c, r) : error(405, "use GET");
    if (route == "resolve")
        return only("GET") ? resolve(c, r) : error(405, "use GET");
    if (route == "transfers") {
        if (only("POST"))
            return startTransfer(c, r);
        if (!only("GET"))
            return error(405, "use GET or POST");
        Json::Value v(Json::arrayValue);
        for (const auto& t : c.transfers.list())
            v.append(transferJson(t));
        return json(200, v);
    }
    if (route.rfind("transfers/", 0) == 0) {
        const auto id = transferId(route.substr(10));
        if (!id)
            return error(404, "no such transfer");
        if (only("GET")) {
            const auto t = c.transfers.find(*id);
            return t ? json(200, transferJson(*t)) : error(404, "no such transfer");
        }
        if (only("DELETE"))
            return c.transfers.cancel(*id) ? json(200, Json::Value(Json::objectValue))
                                           : error(404, "no running transfer with that id");
        return error(405, "use GET or DELETE");
    }
    return error(404, "no such endpoint: " + r.path);
}

std::string loadOrCreateApiToken(const std::filesystem::path& data_dir)
{
    const auto path = data_dir / "api-token";
    {
        std::ifstream in(path);
        std::string token;
        if (in >> token && token.size() >= 32)
            return token;
    }
    std::random_device rd;
    char hex[65];
    for (int i = 0; i < 8; ++i)
        std::snprintf(hex + 8 * i, 9, "%08x", rd());
    const std::string token(hex, 64);
    const auto tmp = path.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
    const std::string line = token + "\n";
    const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
    ::close(fd);
    if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0)
        throw std::runtime_error("cannot write " + path.string());
    return token;
}

} // namespace p2psip::node
