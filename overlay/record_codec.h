// Internal to overlay/: what every record decoder does first.
#pragma once

#include <msgpack.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace p2psip::overlay {

// Unpacks `data` as exactly one msgpack map: at most `max_size` bytes, strings of at most
// `max_string` bytes, bounded nesting and counts (a hostile record cannot make us allocate
// more than a few KiB), no trailing bytes. Returns nullopt and a one-line reason otherwise.
std::optional<msgpack::object_handle> unpackRecordMap(const std::uint8_t* data, std::size_t size,
                                                      std::size_t max_size, std::size_t max_string,
                                                      std::string* error);

} // namespace p2psip::overlay
