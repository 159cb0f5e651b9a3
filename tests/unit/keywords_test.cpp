// Tests for keywordsOf(): the words of a file name that searches match.
#include "overlay/keywords.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

namespace p2psip::overlay {
namespace {

using Words = std::vector<std::string>;

TEST(Keywords, SplitsLowerCasesAndKeepsDigitsAndExtensions)
{
    EXPECT_EQ(keywordsOf("Kademlia_Paper-2002 (final).PDF"),
              (Words{"kademlia", "paper", "2002", "final", "pdf"}));
}

TEST(Keywords, DigitsAreWordCharacters)
{
    EXPECT_EQ(keywordsOf("2004"), (Words{"2004"}));
    EXPECT_EQ(keywordsOf("track07 of 12"), (Words{"track07", "12"}));
    EXPECT_EQ(keywordsOf("3 7 9"), Words{}); // one-digit words are one character
}

TEST(Keywords, EveryAsciiNonAlphanumericSeparates)
{
    for (int c = 1; c < 0x80; ++c) {
        const bool alnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum) {
            EXPECT_EQ(keywordsOf(std::string("ab") + static_cast<char>(c) + "cd"),
                      (Words{"ab", "cd"}))
                << "separator " << c;
        }
    }
    // A NUL byte inside the view separates too.
    EXPECT_EQ(keywordsOf(std::string_view("ab\0cd", 5)), (Words{"ab", "cd"}));
}

TEST(Keywords, StopWordsAreDropped)
{
    EXPECT_EQ(keywordsOf("The Lord of the Rings and the Return to Middle-Earth"),
              (Words{"lord", "rings", "return", "middle", "earth"}));
    EXPECT_EQ(keywordsOf("a an and are as at be by for from in is it of on or the to with"),
              Words{});
    EXPECT_EQ(keywordsOf("THE AND WITH From"), Words{}); // after lower-casing
    // Words that merely contain a stop word are kept.
    EXPECT_EQ(keywordsOf("theory android tomorrow"), (Words{"theory", "android", "tomorrow"}));
}

TEST(Keywords, FileExtensionsAreNotStopWords)
{
    EXPECT_EQ(keywordsOf("song.mp3 clip.avi doc.txt"),
              (Words{"song", "mp3", "clip", "avi", "doc", "txt"}));
}

TEST(Keywords, DuplicatesAreRemovedKeepingFirstSeenOrder)
{
    EXPECT_EQ(keywordsOf("Live live LIVE at Wembley - live (Remastered) wembley"),
              (Words{"live", "wembley", "remastered"}));
    EXPECT_EQ(keywordsOf("b2 a1 b2 c3 a1"), (Words{"b2", "a1", "c3"}));
}

TEST(Keywords, OneCharacterWordsAreDropped)
{
    EXPECT_EQ(keywordsOf("x y z Part B of C"), (Words{"part"}));
    EXPECT_EQ(keywordsOf("ab"), (Words{"ab"}));
}

TEST(Keywords, Utf8WordsSurviveIntact)
{
    // "Été à Paris — café.mp3". ASCII and Latin-1 capitals are lower-cased, so "Été" becomes
    // "été". "à" is one code point, and the em-dash U+2014 (E2 80 94) is a word of its own
    // (bytes >= 0x80 are word characters) of one code point: both dropped.
    EXPECT_EQ(keywordsOf("\xC3\x89t\xC3\xA9 \xC3\xA0 Paris \xE2\x80\x94 caf\xC3\xA9.mp3"),
              (Words{"\xC3\xA9t\xC3\xA9", "paris", "caf\xC3\xA9", "mp3"}));
    // × (U+00D7, C3 97) is not a capital letter and stays as it is; Ø (C3 98) folds to ø.
    EXPECT_EQ(keywordsOf("a\xC3\x97"
                         "b \xC3\x98re"),
              (Words{"a\xC3\x97"
                     "b",
                     "\xC3\xB8re"}));
    EXPECT_EQ(keywordsOf("\xC3\xA9t\xC3\xA9 \xC3\xA0 Paris \xE2\x80\x94 caf\xC3\xA9.mp3"),
              (Words{"\xC3\xA9t\xC3\xA9", "paris", "caf\xC3\xA9", "mp3"}));
}

TEST(Keywords, OneCodePointIsOneCharacterWhateverItsByteLength)
{
    EXPECT_EQ(keywordsOf("\xC3\xA9"), Words{});                                             // é
    EXPECT_EQ(keywordsOf("\xE2\x80\x94"), Words{});                                         // —
    EXPECT_EQ(keywordsOf("\xE6\x97\xA5"), Words{});                                         // 日
    EXPECT_EQ(keywordsOf("\xF0\x9F\x8E\xB5"), Words{});                                     // 🎵
    EXPECT_EQ(keywordsOf("\xC3\xA9t\xC3\xA9"), (Words{"\xC3\xA9t\xC3\xA9"}));               // été
    EXPECT_EQ(keywordsOf("\xE6\x97\xA5\xE6\x9C\xAC"), (Words{"\xE6\x97\xA5\xE6\x9C\xAC"})); // 日本
    EXPECT_EQ(keywordsOf("x\xC3\xA9"), (Words{"x\xC3\xA9"}));
}

TEST(Keywords, InvalidUtf8IsKeptByteForByte)
{
    // Each byte that does not start a well-formed sequence counts as one character.
    EXPECT_EQ(keywordsOf("\xFF"), Words{});
    EXPECT_EQ(keywordsOf("\x80"), Words{});
    EXPECT_EQ(keywordsOf("\xFF\xFE"), (Words{"\xFF\xFE"}));
    EXPECT_EQ(keywordsOf("ab\xC3 cd"), (Words{"ab\xC3", "cd"}));    // truncated sequence
    EXPECT_EQ(keywordsOf("\xC0\xAF"), (Words{"\xC0\xAF"}));         // overlong '/'
    EXPECT_EQ(keywordsOf("\xED\xA0\x80"), (Words{"\xED\xA0\x80"})); // a surrogate: 3 bytes
    EXPECT_EQ(keywordsOf("Caf\xE9 au lait"), (Words{"caf\xE9", "au", "lait"})); // Latin-1
}

TEST(Keywords, MaxCapsTheNumberOfWords)
{
    const std::string text = "one two three four five six seven eight nine ten eleven twelve "
                             "thirteen fourteen";
    const Words all = keywordsOf(text, 100);
    ASSERT_EQ(all.size(), 14u);
    const Words capped = keywordsOf(text);
    ASSERT_EQ(capped.size(), kMaxKeywordsPerFile);
    EXPECT_EQ(capped, Words(all.begin(), all.begin() + kMaxKeywordsPerFile));
    EXPECT_EQ(keywordsOf(text, 3), (Words{"one", "two", "three"}));
    EXPECT_EQ(keywordsOf(text, 1), (Words{"one"}));
    EXPECT_EQ(keywordsOf(text, 0), Words{});
    // Dropped and duplicate words do not count against max.
    EXPECT_EQ(keywordsOf("the one x one two", 2), (Words{"one", "two"}));
}

TEST(Keywords, LongWordsAreTruncatedToMaxLength)
{
    const std::string long_word(200, 'q');
    EXPECT_EQ(keywordsOf(long_word), (Words{std::string(kMaxKeywordLength, 'q')}));
    EXPECT_EQ(keywordsOf(std::string(kMaxKeywordLength, 'w')),
              (Words{std::string(kMaxKeywordLength, 'w')}));
    // Two words that agree on their first kMaxKeywordLength bytes are one keyword.
    const std::string prefix(kMaxKeywordLength, 'p');
    EXPECT_EQ(keywordsOf(prefix + "alpha " + prefix + "beta"), (Words{prefix}));
}

TEST(Keywords, TruncationNeverCutsAUtf8Sequence)
{
    const std::string e_acute = "\xC3\xA9";       // 2 bytes
    const std::string note = "\xF0\x9F\x8E\xB5";  // 4 bytes
    const std::string ideograph = "\xE6\x97\xA5"; // 3 bytes
    // 63 ASCII bytes and then a 2-byte sequence: it would end at byte 65, so it goes.
    {
        const std::string word = std::string(kMaxKeywordLength - 1, 'a') + e_acute + "zz";
        const Words kw = keywordsOf(word);
        ASSERT_EQ(kw.size(), 1u);
        EXPECT_EQ(kw[0], std::string(kMaxKeywordLength - 1, 'a'));
    }
    // 62 ASCII bytes and a 2-byte sequence fill exactly kMaxKeywordLength bytes.
    {
        const std::string word = std::string(kMaxKeywordLength - 2, 'a') + e_acute + "zz";
        const Words kw = keywordsOf(word);
        ASSERT_EQ(kw.size(), 1u);
        EXPECT_EQ(kw[0], std::string(kMaxKeywordLength - 2, 'a') + e_acute);
    }
    // Only multi-byte characters, for every offset of the limit within a sequence.
    for (const std::string& ch : {e_acute, ideograph, note}) {
        std::string word;
        while (word.size() < 2 * kMaxKeywordLength)
            word += ch;
        for (std::size_t lead = 0; lead < ch.size(); ++lead) {
            const Words kw = keywordsOf(std::string(lead, 'a') + word);
            ASSERT_EQ(kw.size(), 1u);
            const std::size_t whole = (kMaxKeywordLength - lead) / ch.size();
            std::string expected(lead, 'a');
            for (std::size_t i = 0; i < whole; ++i)
                expected += ch;
            EXPECT_EQ(kw[0], expected) << ch.size() << "-byte characters after " << lead;
            EXPECT_LE(kw[0].size(), kMaxKeywordLength);
        }
    }
    // Invalid bytes are single characters: the cut may fall right after any of them.
    {
        const std::string word = std::string(kMaxKeywordLength - 1, 'a') + "\xFF\xFF";
        const Words kw = keywordsOf(word);
        ASSERT_EQ(kw.size(), 1u);
        EXPECT_EQ(kw[0], std::string(kMaxKeywordLength - 1, 'a') + "\xFF");
    }
    // A lead byte with too few continuation bytes is a lone invalid byte and may be kept.
    {
        const std::string word = std::string(kMaxKeywordLength - 1, 'a') + "\xE6\x97";
        const Words kw = keywordsOf(word);
        ASSERT_EQ(kw.size(), 1u);
        EXPECT_EQ(kw[0], std::string(kMaxKeywordLength - 1, 'a') + "\xE6");
    }
}

TEST(Keywords, EmptyAndSeparatorOnlyInput)
{
    EXPECT_EQ(keywordsOf(""), Words{});
    EXPECT_EQ(keywordsOf("   "), Words{});
    EXPECT_EQ(keywordsOf(" ._-()[]{}!?,;:'\"/\\\t\n"), Words{});
    EXPECT_EQ(keywordsOf("- . -"), Words{});
    EXPECT_EQ(keywordsOf("...mp3..."), (Words{"mp3"}));
}

TEST(Keywords, RandomInputKeepsTheInvariants)
{
    // Bytes drawn mostly from ASCII letters, separators and UTF-8 lead/continuation bytes.
    const std::string alphabet = "abcXYZ09 -._\xC3\xA9\x80\xBF\xE2\xF0\x9F\xFF";
    std::mt19937 rng(4711); // fixed seed: deterministic
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::uniform_int_distribution<std::size_t> length(0, 300);
    std::uniform_int_distribution<std::size_t> max_words(0, 20);
    for (int i = 0; i < 3000; ++i) {
        std::string text(length(rng), ' ');
        for (char& c : text)
            c = alphabet[pick(rng)];
        const std::size_t max = max_words(rng);
        const Words words = keywordsOf(text, max);
        ASSERT_LE(words.size(), max) << "input #" << i;
        ASSERT_EQ(std::set<std::string>(words.begin(), words.end()).size(), words.size())
            << "input #" << i;
        for (const std::string& w : words) {
            ASSERT_GE(w.size(), 2u) << "input #" << i;
            ASSERT_LE(w.size(), kMaxKeywordLength) << "input #" << i;
            ASSERT_TRUE(std::all_of(w.begin(), w.end(),
                                    [](char c) {
                                        const auto b = static_cast<unsigned char>(c);
                                        return (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') ||
                                               b >= 0x80;
                                    }))
                << "input #" << i;
        }
    }
}

} // namespace
} // namespace p2psip::overlay
