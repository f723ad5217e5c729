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

namespace propusk::crypto {

// Data encryption: AES-GCM (xmlenc11) or AES-CBC (xmlenc; padding-oracle prone, still what
// many IdPs send by default). Key transport: RSA-OAEP (mgf1p with SHA-1 or SHA-256 digest,
// and xmlenc11 rsa-oaep). RSA PKCS#1 v1.5 key transport is refused (Bleichenbacher).
enum class DataEncryption { Aes128Gcm, Aes256Gcm, Aes128Cbc, Aes256Cbc };

struct Decrypted {
  xmlNode* element = nullptr;  // the decrypted element, now in the document where the container was
};

// Decrypts the single xenc:EncryptedData child of `container` (an saml:EncryptedAssertion or
// saml:EncryptedID) with the first of `keys` that opens its EncryptedKey, and replaces
// `container` in its document with the decrypted element (parsed with the secure parser's
// rules: no DTD, no entities, size caps). Refuses, naming why: no or several EncryptedData,
// no EncryptedKey, an algorithm not listed above, no key that opens it, content that is not
// exactly one element. The result carries no signature check: the caller verifies it.
Result<Decrypted> decryptElement(xmlNode* container, std::span<const EVP_PKEY* const> keys);

// For tests and tools (an IdP encrypting for an SP): replaces `element` with
// <containerNs:containerName><xenc:EncryptedData>...</> encrypted for `recipient`'s public key
// (RSA-OAEP mgf1p SHA-1 key transport, the EncryptedKey inside the EncryptedData's KeyInfo).
Result<xmlNode*> encryptElement(xmlNode* element, const X509* recipient, DataEncryption algorithm,
                                std::string_view containerNs, std::string_view containerName);

}  // namespace propusk::crypto
