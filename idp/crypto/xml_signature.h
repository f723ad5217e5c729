// Enveloped XML signatures (xmldsig-core, exclusive c14n) over xmlsec1, with the
// checks that SAML needs: key only from the caller (never KeyInfo), exactly one
// Reference, and the Reference must point at the element being processed.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "idp/core/result.h"
#include "idp/crypto/openssl_handles.h"
#include "idp/xml/handles.h"

namespace propusk::crypto {

enum class SignatureAlgorithm { RsaSha256, RsaSha512, EcdsaSha256, RsaSha1, EcdsaSha1 };

// xmldsig-core §6 and RFC 6931 identifiers shared by every signer and verifier here.
inline constexpr std::string_view kExcC14nUri = "http://www.w3.org/2001/10/xml-exc-c14n#";
inline constexpr std::string_view kExcC14nWithCommentsUri = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
inline constexpr std::string_view kC14n10Uri = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
inline constexpr std::string_view kEnvelopedSignatureUri = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
inline constexpr std::string_view kSha1Uri = "http://www.w3.org/2000/09/xmldsig#sha1";
inline constexpr std::string_view kSha256Uri = "http://www.w3.org/2001/04/xmlenc#sha256";
inline constexpr std::string_view kSha512Uri = "http://www.w3.org/2001/04/xmlenc#sha512";
// The DigestMethod that goes with a signature algorithm (SHA-512 with RSA-SHA512, SHA-1 with
// the SHA-1 ones, else SHA-256), and the raw digest of data with it.
std::string_view digestUriFor(SignatureAlgorithm a);
std::string digestFor(SignatureAlgorithm a, std::string_view data);

std::string_view signatureAlgorithmUri(SignatureAlgorithm a);
std::optional<SignatureAlgorithm> signatureAlgorithmFromUri(std::string_view uri);
bool isSha1(SignatureAlgorithm a);
// The natural algorithm for a key: RSA -> RSA-SHA256, EC -> ECDSA-SHA256.
SignatureAlgorithm defaultAlgorithmFor(const EVP_PKEY* key);

// Initialises xmlsec1 with the OpenSSL backend once per process. Throws on failure.
void initializeXmlsec();

struct SignOptions {
  SignatureAlgorithm algorithm = SignatureAlgorithm::RsaSha256;
  bool includeCertificate = true;  // ds:KeyInfo/ds:X509Data/ds:X509Certificate
};

// Signs `element`, which must carry an ID attribute registered as an XML ID (the secure
// parser does that for "ID"; newly built elements need xml::markId). The ds:Signature is
// inserted as a child of `element` right after `after` (nullptr: as the first child), e.g.
// after saml:Issuer (core §5.4.1 places it there for Response/Assertion/AuthnRequest).
// Transforms: enveloped-signature, exc-c14n; DigestMethod SHA-256 (SHA-512 for RSA-SHA512).
Status signEnveloped(xmlNode* element, xmlNode* after, const EVP_PKEY* key, const X509* cert,
                     const SignOptions& options = {});

struct VerifyOptions {
  bool allowSha1 = false;  // SHA-1 signature or digest algorithms refused unless set
};

struct VerifiedSignature {
  xmlNode* signedElement = nullptr;  // the element the sole Reference resolves to
  SignatureAlgorithm algorithm = SignatureAlgorithm::RsaSha256;
  std::size_t trustedIndex = 0;      // which of the trusted certificates verified it
};

// Verifies the ds:Signature node `signature` with the public keys of `trusted` (KeyInfo in the
// message is ignored), and reports which element its single Reference covers. Refuses:
// no/several References, a URI that is not "#id" of an element in this document, transforms
// other than enveloped + c14n (exclusive, or inclusive 1.0 for interop), SHA-1 unless allowed,
// any crypto failure.
Result<VerifiedSignature> verifySignature(xmlNode* signature, std::span<X509* const> trusted,
                                          const VerifyOptions& options = {});

// For the element being processed: finds its direct ds:Signature child, verifies it, and
// succeeds only when the signature covers `element` itself (signature-wrapping defence).
Result<VerifiedSignature> verifyEnveloped(xmlNode* element, std::span<X509* const> trusted,
                                          const VerifyOptions& options = {});

// Whether the ds:Signature `signature` names a SHA-1 SignatureMethod or DigestMethod, read
// without verifying anything: to tell an administrator that SHA-1, not a bad key, is why a
// signature was refused.
bool declaresSha1(xmlNode* signature);

// Finds the direct ds:Signature child of element, or nullptr.
xmlNode* signatureChild(xmlNode* element);

}  // namespace propusk::crypto
