#include "overlay/record_codec.h"

namespace p2psip::overlay {

std::optional<msgpack::object_handle> unpackRecordMap(const std::uint8_t* data, std::size_t size,
                                                      std::size_t max_size, std::size_t max_string,
                                                      std::string* error)
{
    const auto fail = [error](std::string reason) -> std::optional<msgpack::object_handle> {
        if (error)
            *error = std::move(reason);
        return std::nullopt;
    };
    if (size > max_size)
        return fail("record of " + std::to_string(size) + " bytes exceeds the limit");
    msgpack::object_handle handle;
    try {
        // (array entries, map entries, string bytes, bin bytes, ext bytes, nesting depth)
        const msgpack::unpack_limit limit(64, 32, max_string, 0, 0, 4);
        std::size_t offset = 0;
        handle = msgpack::unpack(reinterpret_cast<const char*>(data), size, offset, nullptr,
                                 nullptr, limit);
        if (offset != size)
            return fail("trailing bytes after the record");
    } catch (const std::exception& e) {
        return fail(std::string("malformed msgpack: ") + e.what());
    }
    if (handle.get().type != msgpack::type::MAP)
        return fail("record is not a map");
    return handle;
}

} // namespace p2psip::overlay
