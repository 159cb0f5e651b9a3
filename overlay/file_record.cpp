#include "overlay/file_record.h"

#include "overlay/record_codec.h"

#include <msgpack.hpp>

#include <map>

namespace p2psip::overlay {
namespace {

bool fail(std::string* error, std::string reason)
{
    if (error)
        *error = std::move(reason);
    return false;
}

std::string fieldIs(const char* field, const char* what)
{
    return std::string("field '") + field + "' " + what;
}

bool readString(const msgpack::object& o, std::string& out, const char* field,
                std::size_t max_length, std::string* error)
{
    if (o.type != msgpack::type::STR)
        return fail(error, fieldIs(field, "is not a string"));
    if (o.via.str.size > max_length)
        return fail(error, fieldIs(field, "is too long"));
    out.assign(o.via.str.ptr, o.via.str.size);
    return true;
}

bool readUnsigned(const msgpack::object& o, std::uint64_t& out, const char* field,
                  std::string* error)
{
    if (o.type != msgpack::type::POSITIVE_INTEGER)
        return fail(error, fieldIs(field, "is not an unsigned integer"));
    out = o.via.u64;
    return true;
}

bool isLowerHex(const std::string& text)
{
    for (char c : text) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return true;
}

bool checkName(const std::string& name, std::string* error)
{
    if (name.empty())
        return fail(error, fieldIs("name", "is empty"));
    if (name == "." || name == "..")
        return fail(error, fieldIs("name", "is a directory name"));
    if (name.find('/') != std::string::npos)
        return fail(error, fieldIs("name", "contains '/'"));
    if (name.find('\0') != std::string::npos)
        return fail(error, fieldIs("name", "contains NUL"));
    return true;
}

} // namespace

std::vector<std::uint8_t> FileRecord::encode() const
{
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> pk(buffer);
    pk.pack_map(8);
    pk.pack("v");
    pk.pack(kVersion);
    pk.pack("sha256");
    pk.pack(sha256);
    pk.pack("name");
    pk.pack(name);
    pk.pack("size");
    pk.pack(size);
    pk.pack("type");
    pk.pack(media_type);
    pk.pack("aor");
    pk.pack(owner_aor);
    pk.pack("seq");
    pk.pack(seq);
    pk.pack("gone");
    pk.pack(gone);
    return {buffer.data(), buffer.data() + buffer.size()};
}

std::optional<FileRecord> FileRecord::decode(const std::uint8_t* data, std::size_t size,
                                             std::string* error)
{
    // Strings may be as long as the whole record, so that an over-long field is reported by
    // name below rather than as a msgpack error.
    auto handle = unpackRecordMap(data, size, kMaxEncodedSize, kMaxEncodedSize, error);
    if (!handle)
        return std::nullopt;
    const msgpack::object& root = handle->get();

    // First pass: the string keys (rejecting duplicates) and the version, so that a record of
    // another version is reported as such whatever its other fields look like.
    std::map<std::string, const msgpack::object*> fields;
    for (std::uint32_t i = 0; i < root.via.map.size; ++i) {
        const auto& kv = root.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR)
            continue;
        std::string key(kv.key.via.str.ptr, kv.key.via.str.size);
        if (!fields.emplace(key, &kv.val).second) {
            fail(error, "duplicate field '" + key + "'");
            return std::nullopt;
        }
    }
    const auto field = [&](const char* key) -> const msgpack::object* {
        const auto it = fields.find(key);
        return it == fields.end() ? nullptr : it->second;
    };
    const auto lacks = [&](const char* key) {
        if (field(key))
            return false;
        fail(error, std::string("record lacks the field '") + key + "'");
        return true;
    };
    if (lacks("v"))
        return std::nullopt;
    std::uint64_t version = 0;
    if (!readUnsigned(*field("v"), version, "v", error))
        return std::nullopt;
    if (version != kVersion) {
        fail(error, "unknown record version " + std::to_string(version));
        return std::nullopt;
    }
    // Unknown keys are ignored so that a later version 1 writer may add optional fields.
    for (const char* key : {"sha256", "name", "size", "aor", "seq"}) {
        if (lacks(key))
            return std::nullopt;
    }

    FileRecord record;
    if (!readString(*field("sha256"), record.sha256, "sha256", kMaxFieldLength, error))
        return std::nullopt;
    if (record.sha256.size() != 64 || !isLowerHex(record.sha256)) {
        fail(error, fieldIs("sha256", "is not 64 lower-case hex digits"));
        return std::nullopt;
    }
    if (!readString(*field("name"), record.name, "name", kMaxNameLength, error) ||
        !checkName(record.name, error))
        return std::nullopt;
    if (!readUnsigned(*field("size"), record.size, "size", error))
        return std::nullopt;
    if (const msgpack::object* type = field("type")) {
        if (!readString(*type, record.media_type, "type", kMaxFieldLength, error))
            return std::nullopt;
    }
    if (!readString(*field("aor"), record.owner_aor, "aor", kMaxFieldLength, error))
        return std::nullopt;
    if (record.owner_aor.empty()) {
        fail(error, fieldIs("aor", "is empty"));
        return std::nullopt;
    }
    if (!readUnsigned(*field("seq"), record.seq, "seq", error))
        return std::nullopt;
    if (const msgpack::object* gone = field("gone")) {
        if (gone->type != msgpack::type::BOOLEAN) {
            fail(error, fieldIs("gone", "is not a boolean"));
            return std::nullopt;
        }
        record.gone = gone->via.boolean;
    }
    return record;
}

bool operator==(const FileRecord& a, const FileRecord& b)
{
    return a.sha256 == b.sha256 && a.name == b.name && a.size == b.size &&
           a.media_type == b.media_type && a.owner_aor == b.owner_aor && a.seq == b.seq &&
           a.gone == b.gone;
}

} // namespace p2psip::overlay
