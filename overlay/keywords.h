// Keywords of a file name, the words a search matches against.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace p2psip::overlay {

constexpr std::size_t kMaxKeywordsPerFile = 12;
constexpr std::size_t kMaxKeywordLength = 64; // bytes

// Lower-cases ASCII and Latin-1 letters (À..Þ), splits on every ASCII character that is not a
// letter or digit (bytes >= 0x80 count as word characters, so UTF-8 words survive intact), drops
// words of one character (one code point) and a short stop list ("the", "and", "mp3"-style file
// extensions are NOT dropped), removes duplicates keeping first-seen order, truncates each
// word to kMaxKeywordLength bytes on a UTF-8 boundary, and keeps at most `max` words.
std::vector<std::string> keywordsOf(std::string_view text, std::size_t max = kMaxKeywordsPerFile);

} // namespace p2psip::overlay
