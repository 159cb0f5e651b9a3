// FileOffer: writing and (hostile-input-proof) parsing of the SDP of a file transfer session.
//
// The grammar follows RFC 4566 (SDP), RFC 4145 (a=setup, a=connection) and RFC 5547
// (a=file-selector, a=file-transfer-id, a=file-range). Parsing is strict about what p2psip
// needs and lenient about the rest: unknown lines, attributes and selectors are ignored.
#include "sip/file_offer.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstddef>
#include <limits>
#include <string_view>
#include <vector>

namespace p2psip::sip {
namespace {

constexpr std::size_t kMaxSdpSize = 8 * 1024;
constexpr std::size_t kMaxDecimalDigits = 20; // UINT64_MAX has 20 digits
constexpr std::size_t kSha256Bytes = 32;
constexpr std::size_t kMinTransferIdLength = 8;
constexpr std::size_t kMaxTransferIdLength = 64;
constexpr const char* kFormat = "p2psip-file";

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

bool isAlnum(char c)
{
    return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool isBlank(char c)
{
    return c == ' ' || c == '\t';
}

int hexValue(char c)
{
    if (isDigit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

char lowerChar(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

char upperChar(char c)
{
    return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (lowerChar(a[i]) != lowerChar(b[i]))
            return false;
    }
    return true;
}

bool startsWith(std::string_view s, std::string_view prefix)
{
    return s.substr(0, prefix.size()) == prefix;
}

std::string_view trimBlanks(std::string_view s)
{
    while (!s.empty() && isBlank(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && isBlank(s.back()))
        s.remove_suffix(1);
    return s;
}

// Quotes peer input for a one-line error: control and non-ASCII bytes become \xHH, long input
// is cut.
std::string quote(std::string_view s)
{
    constexpr std::size_t kMaxShown = 40;
    static const char kHex[] = "0123456789abcdef";
    std::string out = "'";
    for (std::size_t i = 0; i < s.size() && i < kMaxShown; ++i) {
        const auto byte = static_cast<unsigned char>(s[i]);
        if (byte < 0x20 || byte >= 0x7f || s[i] == '\'' || s[i] == '\\') {
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0x0f];
        } else {
            out += s[i];
        }
    }
    if (s.size() > kMaxShown)
        out += "...";
    out += "'";
    return out;
}

// Splits on runs of blanks.
std::vector<std::string_view> splitBlanks(std::string_view s)
{
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && isBlank(s[i]))
            ++i;
        const std::size_t begin = i;
        while (i < s.size() && !isBlank(s[i]))
            ++i;
        if (i > begin)
            out.push_back(s.substr(begin, i - begin));
    }
    return out;
}

// A decimal uint64: 1..20 digits, nothing else (no sign, no blanks), overflow-checked. On
// failure `why` says what is wrong, with `what` naming the field.
bool parseUint64(std::string_view text, const char* what, std::uint64_t& out, std::string& why)
{
    if (text.empty()) {
        why = std::string(what) + " is empty";
        return false;
    }
    for (char c : text) {
        if (!isDigit(c)) {
            why = std::string(what) + " " + quote(text) + " is not an unsigned decimal number";
            return false;
        }
    }
    if (text.size() > kMaxDecimalDigits) {
        why = std::string(what) + " " + quote(text) + " has more than 20 digits";
        return false;
    }
    constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
    std::uint64_t value = 0;
    for (char c : text) {
        const auto digit = static_cast<std::uint64_t>(c - '0');
        if (value > (kMax - digit) / 10) {
            why = std::string(what) + " " + quote(text) + " does not fit in 64 bits";
            return false;
        }
        value = value * 10 + digit;
    }
    out = value;
    return true;
}

// value + 1 in decimal, exact even for UINT64_MAX (which parse() then rejects).
std::string plusOne(std::uint64_t value)
{
    if (value == std::numeric_limits<std::uint64_t>::max())
        return "18446744073709551616";
    return std::to_string(value + 1);
}

// SHA-256 as RFC 5547 writes hashes: upper-case hex octets separated by ':'.
std::string colonHex(const std::string& hex)
{
    std::string out;
    out.reserve(hex.size() + hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); ++i) {
        if (i > 0 && i % 2 == 0)
            out += ':';
        out += upperChar(hex[i]);
    }
    return out;
}

// Accepts 64 hex digits, or 32 colon-separated octets (RFC 5547 form), in any case; returns
// 64 lower-case hex digits.
std::optional<std::string> normalizeSha256(std::string_view text)
{
    std::string out;
    out.reserve(2 * kSha256Bytes);
    if (text.size() == 2 * kSha256Bytes) {
        for (char c : text) {
            if (hexValue(c) < 0)
                return std::nullopt;
            out += lowerChar(c);
        }
        return out;
    }
    if (text.size() == 3 * kSha256Bytes - 1) {
        for (std::size_t i = 0; i < text.size(); ++i) {
            if (i % 3 == 2) {
                if (text[i] != ':')
                    return std::nullopt;
            } else {
                if (hexValue(text[i]) < 0)
                    return std::nullopt;
                out += lowerChar(text[i]);
            }
        }
        return out;
    }
    return std::nullopt;
}

bool validTransferId(std::string_view id)
{
    if (id.size() < kMinTransferIdLength || id.size() > kMaxTransferIdLength)
        return false;
    for (char c : id) {
        if (!isAlnum(c) && c != '-' && c != '_')
            return false;
    }
    return true;
}

// The attributes p2psip reads, at one level (session, or the chosen media section).
struct Attributes {
    std::optional<std::string_view> connection_line; // c= value
    std::optional<std::string_view> setup;
    std::optional<std::string_view> connection; // a=connection
    std::optional<std::string_view> direction;  // sendrecv, sendonly, recvonly or inactive
    std::optional<std::string_view> selector;
    std::optional<std::string_view> transfer_id;
    std::optional<std::string_view> range;
};

// Records one attribute; false (and `why`) when the level already has it.
bool record(std::optional<std::string_view>& slot, std::string_view value, const char* name,
            std::string& why)
{
    if (slot) {
        why = std::string(name) + ": appears more than once";
        return false;
    }
    slot = value;
    return true;
}

bool isDirection(std::string_view name)
{
    return name == "sendrecv" || name == "sendonly" || name == "recvonly" || name == "inactive";
}

// Parses an m= value that is "application <port> TCP <fmt> ...". Returns false if the line is
// some other media line (not ours to judge); true with `why` set if it is ours but malformed.
bool parseMediaLine(std::string_view value, std::uint16_t& port, std::string& why)
{
    const std::vector<std::string_view> fields = splitBlanks(value);
    if (fields.size() < 3 || fields[0] != "application" || fields[2] != "TCP")
        return false;
    const std::string_view port_text = fields[1];
    if (port_text.find('/') != std::string_view::npos) {
        why = "m=: port count in " + quote(port_text) + " is not supported";
        return true;
    }
    std::uint64_t number = 0;
    if (!parseUint64(port_text, "port", number, why)) {
        why = "m=: " + why;
        return true;
    }
    if (number > std::numeric_limits<std::uint16_t>::max()) {
        why = "m=: port " + quote(port_text) + " is larger than 65535";
        return true;
    }
    if (fields.size() < 4) {
        why = "m=: no format after TCP";
        return true;
    }
    port = static_cast<std::uint16_t>(number);
    return true;
}

// c=IN IP4 <address> or c=IN IP6 <address>, a unicast literal of the named family.
bool parseConnectionData(std::string_view value, std::string& address, std::string& why)
{
    const std::vector<std::string_view> fields = splitBlanks(value);
    if (fields.size() != 3 || fields[0] != "IN") {
        why = "c=: " + quote(value) + " is not 'IN IP4|IP6 <address>'";
        return false;
    }
    const std::string_view type = fields[1];
    const std::string text(fields[2]);
    if (text.find('\0') != std::string::npos) {
        why = "c=: address " + quote(text) + " contains a NUL byte";
        return false;
    }
    if (type == "IP4") {
        in_addr v4{};
        if (inet_pton(AF_INET, text.c_str(), &v4) != 1) {
            why = "c=: " + quote(text) + " is not an IPv4 address";
            return false;
        }
    } else if (type == "IP6") {
        in6_addr v6{};
        if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) {
            why = "c=: " + quote(text) + " is not an IPv6 address";
            return false;
        }
    } else {
        why = "c=: address type " + quote(type) + " is neither IP4 nor IP6";
        return false;
    }
    address = text;
    return true;
}

// Splits the selector list on blanks outside double quotes (a quoted name may hold blanks).
bool splitSelectors(std::string_view value, std::vector<std::string_view>& out, std::string& why)
{
    std::size_t i = 0;
    while (i < value.size()) {
        while (i < value.size() && isBlank(value[i]))
            ++i;
        const std::size_t begin = i;
        bool quoted = false;
        while (i < value.size() && (quoted || !isBlank(value[i]))) {
            if (value[i] == '"')
                quoted = !quoted;
            ++i;
        }
        if (quoted) {
            why = "a=file-selector: unterminated quoted string";
            return false;
        }
        if (i > begin)
            out.push_back(value.substr(begin, i - begin));
    }
    return true;
}

// a=file-selector: needs hash:sha-256:<hex> and size:<n>; name: and type: are ignored, as are
// selectors p2psip does not know.
bool parseSelector(std::string_view value, FileOffer& offer, std::string& why)
{
    std::vector<std::string_view> selectors;
    if (!splitSelectors(value, selectors, why))
        return false;
    std::optional<std::string> sha256;
    std::optional<std::string_view> other_algorithm;
    std::optional<std::uint64_t> size;
    for (std::string_view selector : selectors) {
        if (startsWith(selector, "size:")) {
            if (size) {
                why = "a=file-selector: more than one size";
                return false;
            }
            std::uint64_t n = 0;
            if (!parseUint64(selector.substr(5), "size", n, why)) {
                why = "a=file-selector: " + why;
                return false;
            }
            size = n;
        } else if (startsWith(selector, "hash:")) {
            const std::string_view rest = selector.substr(5);
            const std::size_t colon = rest.find(':');
            const std::string_view algorithm = rest.substr(0, colon);
            if (!equalsIgnoreCase(algorithm, "sha-256")) {
                if (!other_algorithm)
                    other_algorithm = algorithm;
                continue; // another algorithm may stand next to sha-256
            }
            if (sha256) {
                why = "a=file-selector: more than one sha-256 hash";
                return false;
            }
            if (colon == std::string_view::npos) {
                why = "a=file-selector: hash:sha-256 has no value";
                return false;
            }
            sha256 = normalizeSha256(rest.substr(colon + 1));
            if (!sha256) {
                why = "a=file-selector: hash is not 32 bytes of hex";
                return false;
            }
        }
    }
    if (!sha256) {
        if (other_algorithm)
            why = "a=file-selector: hash algorithm " + quote(*other_algorithm) +
                  " is not supported, need sha-256";
        else
            why = "a=file-selector: no hash:sha-256 selector";
        return false;
    }
    if (!size) {
        why = "a=file-selector: no size selector";
        return false;
    }
    offer.sha256 = std::move(*sha256);
    offer.size = *size;
    return true;
}

// a=file-range:<start>-<stop>, 1-based and inclusive, stop may be "*". Must fit offer.size.
bool parseRange(std::string_view value, FileOffer& offer, std::string& why)
{
    const std::size_t dash = value.find('-');
    if (dash == std::string_view::npos) {
        why = "a=file-range: " + quote(value) + " is not <start>-<stop>";
        return false;
    }
    std::uint64_t start = 0;
    if (!parseUint64(value.substr(0, dash), "start", start, why)) {
        why = "a=file-range: " + why;
        return false;
    }
    if (start < 1) {
        why = "a=file-range: start is 0, positions start at 1";
        return false;
    }
    const std::string_view stop_text = value.substr(dash + 1);
    std::optional<std::uint64_t> stop;
    if (stop_text != "*") {
        std::uint64_t n = 0;
        if (!parseUint64(stop_text, "stop", n, why)) {
            why = "a=file-range: " + why;
            return false;
        }
        stop = n;
    }
    // "1-*" is the whole file, even an empty one; otherwise the range lies within the file.
    const bool whole_file = start == 1 && !stop;
    if (!whole_file && start > offer.size) {
        why = "a=file-range: start " + std::to_string(start) + " is beyond the file size " +
              std::to_string(offer.size);
        return false;
    }
    if (stop && *stop < start) {
        why = "a=file-range: stop " + std::to_string(*stop) + " is before start " +
              std::to_string(start);
        return false;
    }
    if (stop && *stop > offer.size) {
        why = "a=file-range: stop " + std::to_string(*stop) + " is beyond the file size " +
              std::to_string(offer.size);
        return false;
    }
    offer.range_start = start - 1;
    offer.range_end = stop;
    return true;
}

std::optional<FileOffer> fail(std::string* error, std::string why)
{
    if (error)
        *error = std::move(why);
    return std::nullopt;
}

std::optional<FileOffer> parseSdp(std::string_view sdp, std::string* error)
{
    if (sdp.size() > kMaxSdpSize)
        return fail(error,
                    "SDP body of " + std::to_string(sdp.size()) + " bytes is larger than 8 KiB");

    enum class Section { session, chosen_media, other_media };
    Section section = Section::session;
    Attributes session;
    Attributes media;
    FileOffer offer;
    bool found_media = false;
    std::string why;

    std::size_t pos = 0;
    while (pos < sdp.size()) {
        std::size_t end = sdp.find('\n', pos);
        if (end == std::string_view::npos)
            end = sdp.size();
        std::string_view line = sdp.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        line = trimBlanks(line);
        if (line.size() < 2 || line[1] != '=')
            continue; // not an SDP line: ignored like unknown ones
        const char type = line[0];
        const std::string_view value = line.substr(2);

        if (type == 'm') {
            if (section == Section::chosen_media)
                break; // the first matching media section is the one used
            std::uint16_t port = 0;
            if (!found_media && parseMediaLine(value, port, why)) {
                if (!why.empty())
                    return fail(error, why);
                found_media = true;
                offer.port = port;
                section = Section::chosen_media;
            } else {
                section = Section::other_media;
            }
            continue;
        }
        if (section == Section::other_media)
            continue;
        Attributes& level = section == Section::session ? session : media;

        if (type == 'c') {
            if (!record(level.connection_line, value, "c=", why))
                return fail(error, why);
            continue;
        }
        if (type != 'a')
            continue;
        const std::size_t colon = value.find(':');
        const std::string_view name = value.substr(0, colon);
        const std::string_view attr_value = trimBlanks(
            colon == std::string_view::npos ? std::string_view() : value.substr(colon + 1));
        bool ok = true;
        if (name == "setup")
            ok = record(level.setup, attr_value, "a=setup", why);
        else if (name == "connection")
            ok = record(level.connection, attr_value, "a=connection", why);
        else if (isDirection(name) && colon == std::string_view::npos) {
            if (level.direction)
                why = "a=" + std::string(name) + ": more than one direction attribute";
            ok = !level.direction;
            level.direction = name;
        } else if (section == Section::chosen_media) {
            // RFC 5547's attributes are media-level only.
            if (name == "file-selector")
                ok = record(level.selector, attr_value, "a=file-selector", why);
            else if (name == "file-transfer-id")
                ok = record(level.transfer_id, attr_value, "a=file-transfer-id", why);
            else if (name == "file-range")
                ok = record(level.range, attr_value, "a=file-range", why);
        }
        if (!ok)
            return fail(error, why);
    }

    if (!found_media)
        return fail(error, "m=: no 'm=application <port> TCP <fmt>' line");

    // Session-level values apply unless the media section has its own.
    auto effective = [](const std::optional<std::string_view>& media_value,
                        const std::optional<std::string_view>& session_value) {
        return media_value ? media_value : session_value;
    };

    // Role: a=setup (RFC 4145) and the direction attribute must agree.
    const std::optional<std::string_view> setup = effective(media.setup, session.setup);
    if (!setup)
        return fail(error, "a=setup: missing");
    const std::string_view direction =
        effective(media.direction, session.direction).value_or("sendrecv");
    if (equalsIgnoreCase(*setup, "active")) {
        offer.role = FileOffer::Role::puller;
    } else if (equalsIgnoreCase(*setup, "passive")) {
        offer.role = FileOffer::Role::provider;
    } else if (equalsIgnoreCase(*setup, "actpass")) {
        offer.role = direction == "recvonly" ? FileOffer::Role::puller : FileOffer::Role::provider;
    } else if (equalsIgnoreCase(*setup, "holdconn")) {
        return fail(error, "a=setup:holdconn is not supported");
    } else {
        return fail(error, "a=setup: unknown value " + quote(*setup));
    }
    const bool puller = offer.role == FileOffer::Role::puller;
    const char* wanted = puller ? "recvonly" : "sendonly";
    if (direction != wanted)
        return fail(error, "a=setup:" + std::string(*setup) + " needs a=" + wanted +
                               ", not a=" + std::string(direction));

    if (const auto connection = effective(media.connection, session.connection)) {
        if (!equalsIgnoreCase(*connection, "new") && !equalsIgnoreCase(*connection, "existing"))
            return fail(error, "a=connection: unknown value " + quote(*connection));
    }

    const std::optional<std::string_view> c_line =
        effective(media.connection_line, session.connection_line);
    if (!c_line)
        return fail(error, "c=: missing connection address");
    if (!parseConnectionData(*c_line, offer.address, why))
        return fail(error, why);

    if (!media.selector)
        return fail(error, "a=file-selector: missing");
    if (!parseSelector(*media.selector, offer, why))
        return fail(error, why);

    if (!media.transfer_id)
        return fail(error, "a=file-transfer-id: missing");
    if (!validTransferId(*media.transfer_id))
        return fail(error, "a=file-transfer-id: " + quote(*media.transfer_id) +
                               " is not 8 to 64 characters of [A-Za-z0-9-_]");
    offer.transfer_id = std::string(*media.transfer_id);

    if (media.range) {
        if (!parseRange(*media.range, offer, why))
            return fail(error, why);
    } else {
        offer.range_start = 0;
        offer.range_end = std::nullopt;
    }
    return offer;
}

} // namespace

std::string FileOffer::toSdp() const
{
    const bool puller = role == Role::puller;
    const char* ip = address.find(':') != std::string::npos ? "IP6" : "IP4";
    std::string sdp;
    sdp.reserve(512);
    sdp += "v=0\r\n";
    sdp += "o=- 0 0 IN " + std::string(ip) + " " + address + "\r\n";
    sdp += "s=-\r\n";
    sdp += "c=IN " + std::string(ip) + " " + address + "\r\n";
    sdp += "t=0 0\r\n";
    sdp += "m=application " + std::to_string(port) + " TCP " + kFormat + "\r\n";
    sdp += puller ? "a=setup:active\r\n" : "a=setup:passive\r\n";
    sdp += "a=connection:new\r\n";
    sdp += puller ? "a=recvonly\r\n" : "a=sendonly\r\n";
    sdp += "a=file-selector:hash:sha-256:" + colonHex(sha256) + " size:" + std::to_string(size) +
           "\r\n";
    sdp += "a=file-transfer-id:" + transfer_id + "\r\n";
    sdp += "a=file-range:" + plusOne(range_start) + "-" +
           (range_end ? std::to_string(*range_end) : std::string("*")) + "\r\n";
    return sdp;
}

std::optional<FileOffer> FileOffer::parse(const std::string& sdp, std::string* error)
{
    try {
        return parseSdp(sdp, error);
    } catch (...) { // only allocation failure can get here; never let it out
        try {
            if (error)
                *error = "SDP: out of memory while parsing";
        } catch (...) {
        }
        return std::nullopt;
    }
}

} // namespace p2psip::sip
