// Test helpers for record decoders: hand-built msgpack maps (to write fields of the wrong type,
// repeat or drop them) and the rejection check every decoder must pass.
#pragma once

#include <gtest/gtest.h>

#include <msgpack.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace p2psip::test {

using Bytes = std::vector<std::uint8_t>;
using Packer = msgpack::packer<msgpack::sbuffer>;
using FieldWriter = std::function<void(Packer&)>;
using Fields = std::vector<std::pair<std::string, FieldWriter>>;

inline FieldWriter str(std::string s)
{
    return [s = std::move(s)](Packer& pk) { pk.pack(s); };
}

template <typename T> FieldWriter value(T v)
{
    return [v](Packer& pk) { pk.pack(v); };
}

inline FieldWriter nil()
{
    return [](Packer& pk) { pk.pack_nil(); };
}

// `fields` with `key` replaced by (or, when absent, extended with) `writer`.
inline Fields with(Fields fields, const std::string& key, FieldWriter writer)
{
    for (auto& [k, w] : fields) {
        if (k == key) {
            w = std::move(writer);
            return fields;
        }
    }
    fields.emplace_back(key, std::move(writer));
    return fields;
}

inline Fields without(Fields fields, const std::string& key)
{
    Fields out;
    for (auto& field : fields)
        if (field.first != key)
            out.push_back(std::move(field));
    return out;
}

inline Bytes packMap(const Fields& fields)
{
    msgpack::sbuffer buffer;
    Packer pk(buffer);
    pk.pack_map(static_cast<std::uint32_t>(fields.size()));
    for (const auto& [key, writer] : fields) {
        pk.pack(key);
        writer(pk);
    }
    return {buffer.data(), buffer.data() + buffer.size()};
}

// Expects `decode(bytes, &error)` to reject without throwing, with a non-empty, one-line
// reason; returns the reason.
template <typename Decode>
std::string expectRejectedBy(Decode decode, const Bytes& bytes, const std::string& what)
{
    std::string error;
    bool accepted = false;
    EXPECT_NO_THROW(accepted = decode(bytes, &error).has_value()) << what;
    EXPECT_FALSE(accepted) << "accepted: " << what;
    EXPECT_FALSE(error.empty()) << "no reason for: " << what;
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    return error;
}

} // namespace p2psip::test
