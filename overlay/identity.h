// The node's long-lived RSA identity (OpenDHT key pair + self-signed certificate).
// Internal to overlay/: other modules see only its fingerprint through Overlay.
#pragma once

#include <opendht/crypto.h>

#include <filesystem>
#include <stdexcept>

namespace p2psip::overlay {

struct IdentityError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// RSA, not EC: OpenDHT 2.4.12 cannot verify EC signatures. 2048 bits generate in < 0.1 s.
constexpr unsigned kIdentityKeyBits = 2048;

// Loads DIR/identity.key and DIR/identity.crt, or creates both (mode 0600, DIR 0700) when
// neither exists. A missing half, an unreadable or corrupt file, or a certificate that does
// not match the key throws IdentityError: the identity is never silently replaced.
// *created tells whether a new identity was made.
dht::crypto::Identity loadOrCreateIdentity(const std::filesystem::path& dir,
                                           bool* created = nullptr);

} // namespace p2psip::overlay
