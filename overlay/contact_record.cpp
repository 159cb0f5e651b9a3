#include "overlay/contact_record.h"

#include "overlay/record_codec.h"

#include <msgpack.hpp>

#include <set>

namespace p2psip::overlay {
namespace {

bool fail(std::string* error, std::string reason)
{
    if (error)
        *error = std::move(reason);
    return false;
}

bool readString(const msgpack::object& o, std::string& out, const char* field, std::string* error)
{
    if (o.type != msgpack::type::STR)
        return fail(error, std::string("field '") + field + "' is not a string");
    if (o.via.str.size > ContactRecord::kMaxFieldLength)
        return fail(error, std::string("field '") + field + "' is too long");
    out.assign(o.via.str.ptr, o.via.str.size);
    return true;
}

} // namespace

std::vector<std::uint8_t> ContactRecord::encode() const
{
    msgpack::sbuffer buffer;
    msgpack::packer<msgpack::sbuffer> pk(buffer);
    pk.pack_map(7);
    pk.pack("v");
    pk.pack(kVersion);
    pk.pack("aor");
    pk.pack(aor);
    pk.pack("contacts");
    pk.pack(contacts);
    pk.pack("node");
    pk.pack(node_id);
    pk.pack("instance");
    pk.pack(instance_id);
    pk.pack("seq");
    pk.pack(seq);
    pk.pack("expires");
    pk.pack(expires_at);
    return {buffer.data(), buffer.data() + buffer.size()};
}

std::optional<ContactRecord> ContactRecord::decode(const std::uint8_t* data, std::size_t size,
                                                   std::string* error)
{
    auto handle = unpackRecordMap(data, size, kMaxEncodedSize, kMaxFieldLength, error);
    if (!handle)
        return std::nullopt;
    const msgpack::object& root = handle->get();

    ContactRecord record;
    bool have_version = false, have_aor = false, have_seq = false, have_expires = false;
    std::set<std::string> seen;
    for (std::uint32_t i = 0; i < root.via.map.size; ++i) {
        const auto& kv = root.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR)
            continue;
        const std::string key(kv.key.via.str.ptr, kv.key.via.str.size);
        if (!seen.insert(key).second) {
            fail(error, "duplicate field '" + key + "'");
            return std::nullopt;
        }
        const msgpack::object& val = kv.val;
        if (key == "v") {
            if (val.type != msgpack::type::POSITIVE_INTEGER) {
                fail(error, "field 'v' is not an unsigned integer");
                return std::nullopt;
            }
            if (val.via.u64 != kVersion) {
                fail(error, "unknown record version " + std::to_string(val.via.u64));
                return std::nullopt;
            }
            have_version = true;
        } else if (key == "aor") {
            if (!readString(val, record.aor, "aor", error))
                return std::nullopt;
            have_aor = true;
        } else if (key == "contacts") {
            if (val.type != msgpack::type::ARRAY) {
                fail(error, "field 'contacts' is not an array");
                return std::nullopt;
            }
            if (val.via.array.size > kMaxContacts) {
                fail(error, "too many contacts");
                return std::nullopt;
            }
            for (std::uint32_t j = 0; j < val.via.array.size; ++j) {
                std::string uri;
                if (!readString(val.via.array.ptr[j], uri, "contacts", error))
                    return std::nullopt;
                record.contacts.push_back(std::move(uri));
            }
        } else if (key == "node") {
            if (!readString(val, record.node_id, "node", error))
                return std::nullopt;
        } else if (key == "instance") {
            if (!readString(val, record.instance_id, "instance", error))
                return std::nullopt;
        } else if (key == "seq") {
            if (val.type != msgpack::type::POSITIVE_INTEGER) {
                fail(error, "field 'seq' is not an unsigned integer");
                return std::nullopt;
            }
            record.seq = val.via.u64;
            have_seq = true;
        } else if (key == "expires") {
            if (val.type == msgpack::type::POSITIVE_INTEGER && val.via.u64 <= INT64_MAX)
                record.expires_at = static_cast<std::int64_t>(val.via.u64);
            else if (val.type == msgpack::type::NEGATIVE_INTEGER)
                record.expires_at = val.via.i64;
            else {
                fail(error, "field 'expires' is not an integer");
                return std::nullopt;
            }
            have_expires = true;
        }
        // Unknown keys are ignored so that a later version 1 writer may add optional fields.
    }
    if (!have_version || !have_aor || !have_seq || !have_expires) {
        fail(error, "record lacks one of the fields v, aor, seq, expires");
        return std::nullopt;
    }
    return record;
}

bool operator==(const ContactRecord& a, const ContactRecord& b)
{
    return a.aor == b.aor && a.contacts == b.contacts && a.node_id == b.node_id &&
           a.instance_id == b.instance_id && a.seq == b.seq && a.expires_at == b.expires_at;
}

} // namespace p2psip::overlay
