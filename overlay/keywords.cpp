#include "overlay/keywords.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace p2psip::overlay {
namespace {

// Short English stop list; file extensions ("mp3", "pdf") are deliberately not on it.
constexpr std::array<std::string_view, 19> kStopWords = {
    "a",  "an", "and", "are", "as", "at", "be",  "by", "for",  "from",
    "in", "is", "it",  "of",  "on", "or", "the", "to", "with",
};

bool isStopWord(std::string_view word)
{
    return std::find(kStopWords.begin(), kStopWords.end(), word) != kStopWords.end();
}

bool isWordByte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c >= 0x80;
}

bool isContinuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

// Length in bytes of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF) that starts at word[i], or 1 for an ASCII byte and for
// any byte that does not start a well-formed sequence (invalid UTF-8 is kept byte for byte,
// each such byte counting as one character).
std::size_t unitLength(std::string_view word, std::size_t i)
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(word[i + k]); };
    const unsigned char lead = byte(0);
    const std::size_t left = word.size() - i;
    if (lead < 0x80)
        return 1;
    if (lead >= 0xC2 && lead <= 0xDF)
        return left >= 2 && isContinuation(byte(1)) ? 2 : 1;
    if (lead >= 0xE0 && lead <= 0xEF) {
        if (left < 3 || !isContinuation(byte(1)) || !isContinuation(byte(2)))
            return 1;
        if (lead == 0xE0 && byte(1) < 0xA0) // overlong
            return 1;
        if (lead == 0xED && byte(1) >= 0xA0) // UTF-16 surrogate
            return 1;
        return 3;
    }
    if (lead >= 0xF0 && lead <= 0xF4) {
        if (left < 4 || !isContinuation(byte(1)) || !isContinuation(byte(2)) ||
            !isContinuation(byte(3)))
            return 1;
        if (lead == 0xF0 && byte(1) < 0x90) // overlong
            return 1;
        if (lead == 0xF4 && byte(1) >= 0x90) // above U+10FFFF
            return 1;
        return 4;
    }
    return 1; // stray continuation byte, 0xC0, 0xC1, 0xF5..0xFF
}

// Number of characters of `word` and its longest prefix of at most kMaxKeywordLength bytes
// that does not end inside a well-formed multi-byte sequence.
struct Measure {
    std::size_t characters = 0;
    std::size_t truncated_size = 0;
};

Measure measure(std::string_view word)
{
    Measure m;
    for (std::size_t i = 0; i < word.size();) {
        const std::size_t n = unitLength(word, i);
        ++m.characters;
        i += n;
        if (i <= kMaxKeywordLength)
            m.truncated_size = i;
    }
    return m;
}

} // namespace

std::vector<std::string> keywordsOf(std::string_view text, std::size_t max)
{
    std::vector<std::string> keywords;
    std::size_t i = 0;
    while (keywords.size() < max && i < text.size()) {
        while (i < text.size() && !isWordByte(static_cast<unsigned char>(text[i])))
            ++i;
        const std::size_t start = i;
        while (i < text.size() && isWordByte(static_cast<unsigned char>(text[i])))
            ++i;
        if (i == start)
            break;

        std::string word(text.substr(start, i - start));
        for (std::size_t k = 0; k < word.size(); ++k) {
            const auto c = static_cast<unsigned char>(word[k]);
            if (c >= 'A' && c <= 'Z') {
                word[k] = static_cast<char>(c - 'A' + 'a');
            } else if (c == 0xC3 && k + 1 < word.size()) {
                // Latin-1 capitals À..Þ (U+00C0..U+00DE, but not × U+00D7) are C3 80..C3 9E;
                // their small letters are 0x20 higher. Enough for "Été" to match "été".
                const auto next = static_cast<unsigned char>(word[k + 1]);
                if (next >= 0x80 && next <= 0x9E && next != 0x97) {
                    word[k + 1] = static_cast<char>(next + 0x20);
                    ++k;
                }
            }
        }
        const Measure m = measure(word);
        if (m.characters <= 1 || isStopWord(word))
            continue;
        word.resize(m.truncated_size);
        // Duplicates are compared after truncation: two long words that share their first
        // kMaxKeywordLength bytes are one keyword.
        if (std::find(keywords.begin(), keywords.end(), word) == keywords.end())
            keywords.push_back(std::move(word));
    }
    return keywords;
}

} // namespace p2psip::overlay
