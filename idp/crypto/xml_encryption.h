// XML Encryption (xmlenc-core, xmlenc-core1) over xmlsec1, as SAML uses it: an
// saml:EncryptedAssertion / EncryptedID holds one xenc:EncryptedData whose content key is
// carried in an xenc:EncryptedKey (inside its KeyInfo, or a sibling per saml-core §6.2),
// transported under the recipient's RSA key. Only the caller's private keys decrypt; nothing
// in the message chooses a key.
#pragma once

#include <span>
#include <string_view>

#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/xml/handles.h"
#include "idp/xml/parser.h"

namespace propusk::crypto {

// Data encryption: AES-GCM (xmlenc11) or AES-CBC (xmlenc; padding-oracle prone, still what
// many IdPs send by default). Key transport: RSA-OAEP (mgf1p with SHA-1 or SHA-256 digest,
// and xmlenc11 rsa-oaep). RSA PKCS#1 v1.5 key transport is refused (Bleichenbacher).
enum class DataEncryption { Aes128Gcm, Aes256Gcm, Aes128Cbc, Aes256Cbc };

// xmlenc-core §5.2 and xmlenc-core1 §5.2.4, §5.5.2 identifiers (for EncryptionMethod, also in
// metadata §2.4.1.1).
inline constexpr std::string_view kAes128GcmUri = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
inline constexpr std::string_view kAes256GcmUri = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
inline constexpr std::string_view kAes128CbcUri = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
inline constexpr std::string_view kAes256CbcUri = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
inline constexpr std::string_view kRsaOaepMgf1pUri = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
inline constexpr std::string_view kRsaOaepUri = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
inline constexpr std::string_view kRsa15Uri = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
std::string_view dataEncryptionUri(DataEncryption a);

struct Decrypted {
  xmlNode* element = nullptr;  // the decrypted element, now in the document where the container was
};

// Decrypts the single xenc:EncryptedData child of `container` (an saml:EncryptedAssertion or
// saml:EncryptedID) with the first of `keys` that opens its EncryptedKey, and replaces
// `container` in its document with the decrypted element (parsed with the secure parser's
// rules: no DTD, no entities, size caps). Refuses, naming why: no or several EncryptedData,
// no EncryptedKey, an algorithm not listed above, no key that opens it, content that is not
// exactly one element. The result carries no signature check: the caller verifies it.
// `limits` caps the decrypted octets as parseSecure caps a message (the verifier passes its
// responseParseLimits); IDs (limits.idAttribute) of the decrypted element and its descendants
// are registered in the document, and one already there refuses it.
Result<Decrypted> decryptElement(xmlNode* container, std::span<const EVP_PKEY* const> keys,
                                 const xml::ParseLimits& limits = {});

// For tests and tools (an IdP encrypting for an SP): replaces `element` with
// <containerNs:containerName><xenc:EncryptedData>...</> encrypted for `recipient`'s public key
// (RSA-OAEP mgf1p SHA-1 key transport, the EncryptedKey inside the EncryptedData's KeyInfo).
Result<xmlNode*> encryptElement(xmlNode* element, const X509* recipient, DataEncryption algorithm,
                                std::string_view containerNs, std::string_view containerName);

}  // namespace propusk::crypto
