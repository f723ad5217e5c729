#include "idp/crypto/xml_signature.h"

#include "idp/crypto/digest.h"

#include <openssl/err.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/list.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "idp/crypto/keys.h"
#include "idp/crypto/xmlsec_handles.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::crypto {

namespace {

using xml::ns::kDs;

constexpr std::string_view kExcC14n = kExcC14nUri;
constexpr std::string_view kExcC14nWithComments = kExcC14nWithCommentsUri;
constexpr std::string_view kC14n10 = kC14n10Uri;
constexpr std::string_view kEnveloped = kEnvelopedSignatureUri;
constexpr std::string_view kSha1 = kSha1Uri;
constexpr std::string_view kSha256 = kSha256Uri;
constexpr std::string_view kSha512 = kSha512Uri;
// enveloped + c14n is what SAML uses (core §5.4.4); a little slack for odd but harmless signers.
constexpr std::size_t kMaxTransforms = 4;

struct AlgorithmUri {
  SignatureAlgorithm alg;
  std::string_view uri;
};
constexpr AlgorithmUri kSignatureAlgorithms[] = {
    {SignatureAlgorithm::RsaSha256, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"},
    {SignatureAlgorithm::RsaSha512, "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512"},
    {SignatureAlgorithm::EcdsaSha256, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"},
    {SignatureAlgorithm::RsaSha1, "http://www.w3.org/2000/09/xmldsig#rsa-sha1"},
    {SignatureAlgorithm::EcdsaSha1, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1"},
};

bool isEcdsa(SignatureAlgorithm a) {
  return a == SignatureAlgorithm::EcdsaSha256 || a == SignatureAlgorithm::EcdsaSha1;
}

bool isEcKey(const EVP_PKEY* key) { return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC; }
bool isRsaKey(const EVP_PKEY* key) { return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA; }
bool keyFits(const EVP_PKEY* key, SignatureAlgorithm a) {
  return key && (isEcdsa(a) ? isEcKey(key) : isRsaKey(key));
}

// The xmlsec transform ids are functions of the loaded crypto backend, hence not constexpr.
xmlSecTransformId signTransform(SignatureAlgorithm a) {
  switch (a) {
    case SignatureAlgorithm::RsaSha256: return xmlSecTransformRsaSha256Id;
    case SignatureAlgorithm::RsaSha512: return xmlSecTransformRsaSha512Id;
    case SignatureAlgorithm::EcdsaSha256: return xmlSecTransformEcdsaSha256Id;
    case SignatureAlgorithm::RsaSha1: return xmlSecTransformRsaSha1Id;
    case SignatureAlgorithm::EcdsaSha1: return xmlSecTransformEcdsaSha1Id;
  }
  return xmlSecTransformIdUnknown;
}

xmlSecTransformId digestTransform(SignatureAlgorithm a) {
  switch (a) {
    case SignatureAlgorithm::RsaSha512: return xmlSecTransformSha512Id;
    case SignatureAlgorithm::RsaSha1:
    case SignatureAlgorithm::EcdsaSha1: return xmlSecTransformSha1Id;
    default: return xmlSecTransformSha256Id;
  }
}

std::string_view algorithmName(SignatureAlgorithm a) {
  switch (a) {
    case SignatureAlgorithm::RsaSha256: return "RSA-SHA256";
    case SignatureAlgorithm::RsaSha512: return "RSA-SHA512";
    case SignatureAlgorithm::EcdsaSha256: return "ECDSA-SHA256";
    case SignatureAlgorithm::RsaSha1: return "RSA-SHA1";
    case SignatureAlgorithm::EcdsaSha1: return "ECDSA-SHA1";
  }
  return "unknown";
}

// An xs:NCName (the type of SAML's ID attributes). Anything else in "#..." would be
// spliced by xmlsec into "xpointer(id('...'))", so quotes or parentheses must never pass.
bool isNcName(std::string_view s) {
  if (s.empty()) return false;
  auto start = [](unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c >= 0x80;
  };
  auto rest = [&](unsigned char c) {
    return start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
  };
  if (!start(static_cast<unsigned char>(s[0]))) return false;
  for (char c : s.substr(1))
    if (!rest(static_cast<unsigned char>(c))) return false;
  return true;
}

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 120;  // attacker-controlled: keep log lines short
  std::string out = "\"";
  out += s.substr(0, kMax);
  if (s.size() > kMax) out += "...";
  return out + "\"";
}


DSigCtxPtr newContext() {
  DSigCtxPtr ctx(xmlSecDSigCtxCreate(nullptr));  // no keys manager: the key is always ours
  if (!ctx) throw std::runtime_error(withOpensslErrors("xmlSecDSigCtxCreate failed"));
  return ctx;
}

// What we accept, before xmlsec sees the signature (it would accept far more).
struct CheckedSignature {
  SignatureAlgorithm algorithm;
  xmlNode* signedElement;
  std::string uri;  // "#id"
};

bool allowedC14n(std::string_view uri) {
  return uri == kExcC14n || uri == kExcC14nWithComments || uri == kC14n10;
}

// exc-c14n's InclusiveNamespaces PrefixList (xml-exc-c14n §3) makes listed prefixes render
// like inclusive c14n; a long list is a DoS lever, a real signer lists a few.
constexpr std::size_t kMaxInclusivePrefixes = 16;
constexpr char kExcC14nNs[] = "http://www.w3.org/2001/10/xml-exc-c14n#";

Status checkPrefixList(xmlNode* transformOrMethod) {
  for (xmlNode* c : xml::childElements(transformOrMethod)) {
    if (!xml::isElement(c, kExcC14nNs, "InclusiveNamespaces")) return invalid("unexpected element inside a c14n transform");
    std::string list = xml::attr(c, "PrefixList").value_or("");
    std::size_t tokens = 0;
    bool inToken = false;
    for (char ch : list) {
      bool space = ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
      if (!space && !inToken) ++tokens;
      inToken = !space;
    }
    if (tokens > kMaxInclusivePrefixes)
      return invalid("InclusiveNamespaces PrefixList lists " + std::to_string(tokens) + " prefixes");
  }
  return {};
}

Result<CheckedSignature> precheck(xmlNode* signature, const VerifyOptions& options) {
  std::vector<xmlNode*> parts = xml::childElements(signature);
  if (parts.empty() || !xml::isElement(parts[0], kDs, "SignedInfo"))
    return invalid("ds:Signature does not start with ds:SignedInfo");
  std::vector<xmlNode*> info = xml::childElements(parts[0]);
  if (info.size() < 2 || !xml::isElement(info[0], kDs, "CanonicalizationMethod") ||
      !xml::isElement(info[1], kDs, "SignatureMethod"))
    return invalid("ds:SignedInfo lacks CanonicalizationMethod and SignatureMethod");

  std::string c14n = xml::attr(info[0], "Algorithm").value_or("");
  if (!allowedC14n(c14n)) return invalid("canonicalization method not allowed: " + quoted(c14n));
  if (auto st = checkPrefixList(info[0]); !st) return std::unexpected(st.error());

  std::string method = xml::attr(info[1], "Algorithm").value_or("");
  auto alg = signatureAlgorithmFromUri(method);
  if (!alg) return invalid("unknown signature algorithm " + quoted(method));
  if (isSha1(*alg) && !options.allowSha1)
    return invalid("SHA-1 signature algorithm refused: " + std::string(algorithmName(*alg)));

  std::vector<xmlNode*> refs;
  for (std::size_t i = 2; i < info.size(); ++i) {
    if (!xml::isElement(info[i], kDs, "Reference"))
      return invalid("unexpected element in ds:SignedInfo");
    refs.push_back(info[i]);
  }
  if (refs.size() != 1)
    return invalid("ds:SignedInfo has " + std::to_string(refs.size()) +
                   " References; exactly one is required");
  xmlNode* ref = refs[0];

  // SAML core §5.4.2: the URI is "#" and the ID of the signed element.
  auto uri = xml::attr(ref, "URI");
  if (!uri) return invalid("Reference without a URI attribute");
  if (uri->empty()) return invalid("Reference URI \"\" (whole document) refused");
  if ((*uri)[0] != '#') return invalid("Reference URI is not same-document: " + quoted(*uri));
  std::string id = uri->substr(1);
  if (!isNcName(id)) return invalid("Reference URI is not a bare \"#id\": " + quoted(*uri));
  xmlAttr* idAttr = xmlGetID(signature->doc, BAD_CAST id.c_str());
  if (!idAttr || !idAttr->parent || idAttr->parent->type != XML_ELEMENT_NODE ||
      idAttr->parent->doc != signature->doc)
    return invalid("Reference URI " + quoted(*uri) + " resolves to no element of this document");

  std::vector<xmlNode*> refParts = xml::childElements(ref);
  std::size_t next = 0;
  if (next < refParts.size() && xml::isElement(refParts[next], kDs, "Transforms")) {
    std::vector<xmlNode*> transforms = xml::childElements(refParts[next]);
    if (transforms.size() > kMaxTransforms)
      return invalid("Reference has " + std::to_string(transforms.size()) + " transforms");
    for (xmlNode* t : transforms) {
      std::string a = xml::attr(t, "Algorithm").value_or("");
      // Only exclusive c14n over the signed element (core §5.4.4): inclusive c14n renders
      // every in-scope namespace and is the cheapest way to make digesting quadratic.
      if (!xml::isElement(t, kDs, "Transform") || !(a == kEnveloped || a == kExcC14n || a == kExcC14nWithComments))
        return invalid("transform not allowed: " + quoted(a));
      if (auto st = checkPrefixList(t); !st) return std::unexpected(st.error());
    }
    ++next;
  }
  if (next >= refParts.size() || !xml::isElement(refParts[next], kDs, "DigestMethod"))
    return invalid("Reference without ds:DigestMethod");
  std::string digest = xml::attr(refParts[next], "Algorithm").value_or("");
  if (digest == kSha1) {
    if (!options.allowSha1) return invalid("SHA-1 digest algorithm refused");
  } else if (digest != kSha256 && digest != kSha512) {
    return invalid("unknown digest algorithm " + quoted(digest));
  }
  return CheckedSignature{*alg, idAttr->parent, *uri};
}

Status enableTransforms(xmlSecDSigCtx* ctx, const VerifyOptions& options) {
  bool ok = true;
  for (xmlSecTransformId c14n : {xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId})
    ok = ok && xmlSecDSigCtxEnableReferenceTransform(ctx, c14n) >= 0;
  // SignedInfo (small, ours to bound) may also use inclusive c14n, as some older SPs do.
  for (xmlSecTransformId c14n : {xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId,
                                 xmlSecTransformInclC14NId})
    ok = ok && xmlSecDSigCtxEnableSignatureTransform(ctx, c14n) >= 0;
  ok = ok && xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) >= 0;
  ok = ok && xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id) >= 0;
  ok = ok && xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha512Id) >= 0;
  for (auto a : {SignatureAlgorithm::RsaSha256, SignatureAlgorithm::RsaSha512,
                 SignatureAlgorithm::EcdsaSha256})
    ok = ok && xmlSecDSigCtxEnableSignatureTransform(ctx, signTransform(a)) >= 0;
  if (options.allowSha1) {
    ok = ok && xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha1Id) >= 0;
    for (auto a : {SignatureAlgorithm::RsaSha1, SignatureAlgorithm::EcdsaSha1})
      ok = ok && xmlSecDSigCtxEnableSignatureTransform(ctx, signTransform(a)) >= 0;
  }
  if (!ok) return responderError(withOpensslErrors("enabling xmlsec transforms failed"));
  return {};
}

enum class Outcome { Verified, DigestMismatch, SignatureInvalid, Failed };
struct Attempt {
  Outcome outcome;
  std::string detail;
};

Attempt verifyWith(xmlNode* signature, const X509* cert, const CheckedSignature& checked,
                   const VerifyOptions& options) {
  EvpPkeyPtr pub(X509_get_pubkey(const_cast<X509*>(cert)));
  if (!pub) return {Outcome::Failed, withOpensslErrors("certificate has no usable public key")};
  auto key = xmlsecKey(pub.get());
  if (!key) return {Outcome::Failed, key.error().detail};

  DSigCtxPtr ctx = newContext();
  ctx->flags |= XMLSEC_DSIG_FLAGS_IGNORE_MANIFESTS;
  // Only "#id": never "" (whole document), files or the network.
  ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
  if (auto ok = enableTransforms(ctx.get(), options); !ok) return {Outcome::Failed, ok.error().detail};
  // With signKey set xmlsec never consults ds:KeyInfo (xmlSecDSigCtxProcessKeyInfoNode).
  ctx->signKey = key->release();

  int rc = xmlSecDSigCtxVerify(ctx.get(), signature);
  std::string errors = drainOpensslErrors();
  if (rc < 0)
    return {Outcome::Failed,
            "xmlsec could not process the signature" + (errors.empty() ? "" : ": " + errors)};
  xmlSecSize refCount = xmlSecPtrListGetSize(&ctx->signedInfoReferences);
  if (refCount != 1)
    return {Outcome::Failed, "xmlsec processed " + std::to_string(refCount) + " References"};
  auto* ref = static_cast<xmlSecDSigReferenceCtx*>(xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0));
  if (!ref || ref->status != xmlSecDSigStatusSucceeded)
    return {Outcome::DigestMismatch, "digest mismatch: the signed content was altered"};
  if (!ref->uri || checked.uri != reinterpret_cast<const char*>(ref->uri))
    return {Outcome::Failed, "xmlsec resolved a different Reference URI"};
  if (ctx->status != xmlSecDSigStatusSucceeded)
    return {Outcome::SignatureInvalid, "signature value invalid"};
  return {Outcome::Verified, {}};
}

Result<VerifiedSignature> verifyImpl(xmlNode* signature, std::span<X509* const> trusted,
                                     const VerifyOptions& options, const xmlNode* mustCover) {
  initializeXmlsec();
  if (!xml::isElement(signature, kDs, "Signature") || !signature->doc)
    return invalid("not a ds:Signature element");
  auto checked = precheck(signature, options);
  if (!checked) return std::unexpected(checked.error());
  if (mustCover && checked->signedElement != mustCover) {
    auto id = xml::attr(checked->signedElement, "ID").value_or("");
    return invalid("signature covers another element (" + quoted(id) + "), not this one");
  }
  if (trusted.empty()) return invalid("no trusted certificate to verify the signature with");

  ERR_clear_error();
  std::size_t fitting = 0, invalidWith = 0;
  std::string lastFailure;
  for (std::size_t i = 0; i < trusted.size(); ++i) {
    const X509* cert = trusted[i];
    if (!cert || !keyFits(X509_get0_pubkey(cert), checked->algorithm)) continue;
    ++fitting;
    Attempt a = verifyWith(signature, cert, *checked, options);
    switch (a.outcome) {
      case Outcome::Verified:
        return VerifiedSignature{checked->signedElement, checked->algorithm, i};
      case Outcome::DigestMismatch:
        return invalid(std::move(a.detail));  // the same whatever the key
      case Outcome::SignatureInvalid:
        ++invalidWith;
        break;
      case Outcome::Failed:
        lastFailure = std::move(a.detail);
        break;
    }
  }
  const std::string algName(algorithmName(checked->algorithm));
  if (fitting == 0)
    return invalid("no trusted key matched: none of " + std::to_string(trusted.size()) +
                   " trusted certificates has a key for " + algName);
  if (invalidWith == fitting)
    return invalid("signature invalid: no trusted key matched (" + std::to_string(fitting) +
                   " tried)");
  return invalid("signature not verified: " + lastFailure);
}

}  // namespace

std::string_view signatureAlgorithmUri(SignatureAlgorithm a) {
  for (const auto& s : kSignatureAlgorithms)
    if (s.alg == a) return s.uri;
  return {};
}

std::optional<SignatureAlgorithm> signatureAlgorithmFromUri(std::string_view uri) {
  for (const auto& s : kSignatureAlgorithms)
    if (s.uri == uri) return s.alg;
  return std::nullopt;
}

bool isSha1(SignatureAlgorithm a) {
  return a == SignatureAlgorithm::RsaSha1 || a == SignatureAlgorithm::EcdsaSha1;
}

SignatureAlgorithm defaultAlgorithmFor(const EVP_PKEY* key) {
  return key && isEcKey(key) ? SignatureAlgorithm::EcdsaSha256 : SignatureAlgorithm::RsaSha256;
}

void initializeXmlsec() {
  static std::once_flag once;
  std::call_once(once, [] {
    xml::initialize();
    // xmlSecInit installs its own external entity loader over libxml2's; ours (from
    // xml::initialize) refuses everything but local schemas, so it goes back afterwards.
    xmlExternalEntityLoader ours = xmlGetExternalEntityLoader();
    if (xmlSecInit() < 0) throw std::runtime_error("xmlSecInit failed");
    xmlSetExternalEntityLoader(ours);
    if (xmlSecCheckVersion() != 1) throw std::runtime_error("xmlsec1 library version mismatch");
    if (xmlSecCryptoAppInit(nullptr) < 0)
      throw std::runtime_error(withOpensslErrors("xmlSecCryptoAppInit failed"));
    if (xmlSecCryptoInit() < 0)
      throw std::runtime_error(withOpensslErrors("xmlSecCryptoInit failed"));
    // Failures reach callers as Error::detail; xmlsec's own stderr lines would only be noise.
    xmlSecErrorsDefaultCallbackEnableOutput(0);
  });
}

xmlNode* signatureChild(xmlNode* element) { return xml::child(element, kDs, "Signature"); }

bool declaresSha1(xmlNode* signature) {
  xmlNode* info = signature ? xml::child(signature, kDs, "SignedInfo") : nullptr;
  if (!info) return false;
  for (xmlNode* part : xml::childElements(info)) {
    if (xml::isElement(part, kDs, "SignatureMethod")) {
      auto alg = signatureAlgorithmFromUri(xml::attr(part, "Algorithm").value_or(""));
      if (alg && isSha1(*alg)) return true;
    } else if (xml::isElement(part, kDs, "Reference")) {
      xmlNode* digest = xml::child(part, kDs, "DigestMethod");
      if (digest && xml::attr(digest, "Algorithm").value_or("") == kSha1) return true;
    }
  }
  return false;
}

Status signEnveloped(xmlNode* element, xmlNode* after, const EVP_PKEY* key, const X509* cert,
                     const SignOptions& options) {
  initializeXmlsec();
  if (!element || element->type != XML_ELEMENT_NODE || !element->doc)
    return responderError("signEnveloped: not an element of a document");
  if (after && after->parent != element)
    return responderError("signEnveloped: `after` is not a child of the element");
  if (signatureChild(element)) return responderError("element already carries a ds:Signature");
  if (!key) return responderError("no signing key");
  const SignatureAlgorithm alg = options.algorithm;
  if (!keyFits(key, alg))
    return responderError(std::string(algorithmName(alg)) + " does not fit a " +
                          (isEcKey(key) ? "EC" : "non-EC") + " key");
  if (options.includeCertificate && !cert)
    return responderError("includeCertificate is set but there is no certificate");
  if (cert && !keyMatchesCertificate(key, cert))
    return responderError("the certificate does not belong to the signing key");

  auto id = xml::attr(element, "ID");
  if (!id || !isNcName(*id)) return responderError("element has no ID attribute that is an NCName");
  xmlAttr* idAttr = xmlGetID(element->doc, BAD_CAST id->c_str());
  if (!idAttr || idAttr->parent != element)
    return responderError("ID " + quoted(*id) + " is not registered as an XML ID (xml::markId)");

  ERR_clear_error();
  auto xkey = xmlsecKey(key);
  if (!xkey) return std::unexpected(xkey.error());

  // core §5.4: enveloped signature, exclusive c14n, one Reference to "#ID".
  xml::XmlNodePtr sig(xmlSecTmplSignatureCreateNsPref(element->doc, xmlSecTransformExclC14NId,
                                                      signTransform(alg), nullptr, BAD_CAST "ds"));
  if (!sig) return responderError("xmlSecTmplSignatureCreateNsPref failed");
  const std::string uri = "#" + *id;
  xmlNode* ref = xmlSecTmplSignatureAddReference(sig.get(), digestTransform(alg), nullptr,
                                                 BAD_CAST uri.c_str(), nullptr);
  if (!ref || !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformEnvelopedId) ||
      !xmlSecTmplReferenceAddTransform(ref, xmlSecTransformExclC14NId))
    return responderError("building the ds:Reference template failed");
  if (options.includeCertificate) {
    xmlNode* keyInfo = xmlSecTmplSignatureEnsureKeyInfo(sig.get(), nullptr);
    xmlNode* x509Data = keyInfo ? xmlSecTmplKeyInfoAddX509Data(keyInfo) : nullptr;
    // Written by us rather than by xmlsec: one base64 line, no wrapping.
    const std::string der = certificateBase64Der(cert);
    if (!x509Data || !xmlNewTextChild(x509Data, x509Data->ns, BAD_CAST "X509Certificate",
                                      BAD_CAST der.c_str()))
      return responderError("building ds:KeyInfo failed");
  }

  DSigCtxPtr ctx = newContext();
  ctx->signKey = xkey->release();

  xmlNode* placed = nullptr;
  if (after) placed = xmlAddNextSibling(after, sig.get());
  else if (element->children) placed = xmlAddPrevSibling(element->children, sig.get());
  else placed = xmlAddChild(element, sig.get());
  if (placed != sig.get()) return responderError("inserting ds:Signature failed");
  xmlNode* signature = sig.release();  // now owned by the document

  if (xmlSecDSigCtxSign(ctx.get(), signature) < 0 || ctx->status != xmlSecDSigStatusSucceeded) {
    xmlUnlinkNode(signature);
    xml::XmlNodePtr discard(signature);  // leave the element as it was
    return responderError(withOpensslErrors("xmlSecDSigCtxSign failed"));
  }
  return {};
}

Result<VerifiedSignature> verifySignature(xmlNode* signature, std::span<X509* const> trusted,
                                          const VerifyOptions& options) {
  return verifyImpl(signature, trusted, options, nullptr);
}

Result<VerifiedSignature> verifyEnveloped(xmlNode* element, std::span<X509* const> trusted,
                                          const VerifyOptions& options) {
  if (!element || element->type != XML_ELEMENT_NODE) return invalid("not an element");
  std::vector<xmlNode*> sigs = xml::children(element, kDs, "Signature");
  if (sigs.empty()) return invalid("element is not signed: no ds:Signature child");
  if (sigs.size() > 1)
    return invalid("element has " + std::to_string(sigs.size()) + " ds:Signature children");
  return verifyImpl(sigs[0], trusted, options, element);
}

std::string_view digestUriFor(SignatureAlgorithm a) {
  switch (a) {
    case SignatureAlgorithm::RsaSha512: return kSha512Uri;
    case SignatureAlgorithm::RsaSha1:
    case SignatureAlgorithm::EcdsaSha1: return kSha1Uri;
    default: return kSha256Uri;
  }
}

std::string digestFor(SignatureAlgorithm a, std::string_view data) {
  switch (a) {
    case SignatureAlgorithm::RsaSha512: return sha512(data);
    case SignatureAlgorithm::RsaSha1:
    case SignatureAlgorithm::EcdsaSha1: return sha1(data);
    default: return sha256(data);
  }
}

}  // namespace propusk::crypto
