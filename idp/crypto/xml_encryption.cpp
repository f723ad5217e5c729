#include "idp/crypto/xml_encryption.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <xmlsec/buffer.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/templates.h>
#include <xmlsec/transforms.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "idp/core/base64.h"
#include "idp/core/escape.h"
#include "idp/crypto/xml_signature.h"
#include "idp/crypto/xmlsec_handles.h"
#include "idp/xml/builder.h"
#include "idp/xml/dom.h"
#include "idp/xml/ids.h"
#include "idp/xml/namespaces.h"

namespace propusk::crypto {

namespace {

using xml::ns::kDs;
using xml::ns::kXenc;
constexpr char kXenc11[] = "http://www.w3.org/2009/xmlenc11#";
constexpr std::string_view kTypeElement = "http://www.w3.org/2001/04/xmlenc#Element";
constexpr std::string_view kMgf1Sha1 = "http://www.w3.org/2009/xmlenc11#mgf1sha1";
constexpr std::string_view kMgf1Sha256 = "http://www.w3.org/2009/xmlenc11#mgf1sha256";

// saml-core §6.2 allows several EncryptedKeys (one per recipient); each is an RSA private-key
// operation per key tried, so a message gets a few, not hundreds.
constexpr std::size_t kMaxEncryptedKeys = 8;
constexpr std::size_t kMaxOaepLabelBytes = 256;

struct DataAlgorithm {
  DataEncryption alg;
  std::string_view uri;
  std::size_t keyBytes;
};
constexpr DataAlgorithm kDataAlgorithms[] = {
    {DataEncryption::Aes128Gcm, kAes128GcmUri, 16},
    {DataEncryption::Aes256Gcm, kAes256GcmUri, 32},
    {DataEncryption::Aes128Cbc, kAes128CbcUri, 16},
    {DataEncryption::Aes256Cbc, kAes256CbcUri, 32},
};

const DataAlgorithm& dataAlgorithm(DataEncryption a) {
  for (const auto& d : kDataAlgorithms)
    if (d.alg == a) return d;
  return kDataAlgorithms[0];
}

// The xmlsec transform ids are functions of the loaded crypto backend, hence not constexpr.
xmlSecTransformId dataTransform(DataEncryption a) {
  switch (a) {
    case DataEncryption::Aes128Gcm: return xmlSecTransformAes128GcmId;
    case DataEncryption::Aes256Gcm: return xmlSecTransformAes256GcmId;
    case DataEncryption::Aes128Cbc: return xmlSecTransformAes128CbcId;
    case DataEncryption::Aes256Cbc: return xmlSecTransformAes256CbcId;
  }
  return xmlSecTransformIdUnknown;
}

std::string quoted(std::string_view s) {
  constexpr std::size_t kMax = 120;  // from the message: keep log lines short
  std::string out = "\"";
  out += s.substr(0, kMax);
  if (s.size() > kMax) out += "...";
  return out + "\"";
}


Result<XmlSecKeyPtr> aesKey(std::string_view bytes) {
  XmlSecKeyPtr key(xmlSecKeyReadMemory(xmlSecKeyDataAesId, reinterpret_cast<const xmlSecByte*>(bytes.data()),
                                       static_cast<xmlSecSize>(bytes.size())));
  if (!key) return responderError(withOpensslErrors("xmlSecKeyReadMemory (AES) failed"));
  return key;
}

// The session key in memory for as short a time as it takes.
struct SecretBytes {
  std::string bytes;
  SecretBytes() = default;
  SecretBytes(const SecretBytes&) = delete;
  SecretBytes& operator=(const SecretBytes&) = delete;
  SecretBytes(SecretBytes&& o) noexcept : bytes(std::move(o.bytes)) {}
  SecretBytes& operator=(SecretBytes&& o) noexcept {
    wipe();
    bytes = std::move(o.bytes);
    return *this;
  }
  ~SecretBytes() { wipe(); }
  void wipe() {
    if (!bytes.empty()) OPENSSL_cleanse(bytes.data(), bytes.size());
    bytes.clear();
  }
};

// ------------------------------------------------------------------ reading EncryptedKey

struct KeyTransport {
  const EVP_MD* oaepDigest = nullptr;
  const EVP_MD* mgf1Digest = nullptr;
  std::string label;  // OAEPparams
  std::string cipher;
};

Result<const EVP_MD*> oaepDigest(xmlNode* method) {
  xmlNode* dm = xml::child(method, kDs, "DigestMethod");
  if (!dm) return sha1Md();  // xmlenc-core §5.4.2: SHA-1 when absent
  std::string uri = xml::collapsedAttr(dm, "Algorithm").value_or("");
  if (uri == kSha1Uri) return sha1Md();
  if (uri == kSha256Uri) return sha256Md();
  return invalid("RSA-OAEP DigestMethod not allowed: " + quoted(uri));
}

// What the EncryptedKey's EncryptionMethod and CipherData say, checked before any key is used.
Result<KeyTransport> readEncryptedKey(xmlNode* encryptedKey) {
  xmlNode* method = xml::child(encryptedKey, kXenc, "EncryptionMethod");
  if (!method) return invalid("EncryptedKey without EncryptionMethod");
  std::string uri = xml::collapsedAttr(method, "Algorithm").value_or("");
  if (uri == kRsa15Uri)
    return invalid("RSA PKCS#1 v1.5 key transport is refused (Bleichenbacher); the IdP must use RSA-OAEP");
  if (uri != kRsaOaepMgf1pUri && uri != kRsaOaepUri)
    return invalid("key transport algorithm not allowed: " + quoted(uri));

  for (xmlNode* c : xml::childElements(method)) {
    bool known = xml::isElement(c, kDs, "DigestMethod") || xml::isElement(c, kXenc, "OAEPparams") ||
                 (uri == kRsaOaepUri && xml::isElement(c, kXenc11, "MGF"));
    if (!known) return invalid("unexpected element in the EncryptedKey's EncryptionMethod");
  }
  KeyTransport kt;
  auto digest = oaepDigest(method);
  if (!digest) return std::unexpected(digest.error());
  kt.oaepDigest = *digest;
  kt.mgf1Digest = sha1Md();  // mgf1p: MGF1 with SHA-1, always (xmlenc-core §5.4.2)
  if (uri == kRsaOaepUri) {
    if (xmlNode* mgf = xml::child(method, kXenc11, "MGF")) {
      std::string m = xml::collapsedAttr(mgf, "Algorithm").value_or("");
      if (m == kMgf1Sha256) kt.mgf1Digest = sha256Md();
      else if (m != kMgf1Sha1) return invalid("RSA-OAEP MGF not allowed: " + quoted(m));
    }
  }
  if (xmlNode* p = xml::child(method, kXenc, "OAEPparams")) {
    auto label = base64Decode(xml::text(p), kMaxOaepLabelBytes);
    if (!label) return invalid("OAEPparams: " + label.error().detail);
    kt.label = std::move(*label);
  }

  xmlNode* cipherData = xml::child(encryptedKey, kXenc, "CipherData");
  xmlNode* value = xml::child(cipherData, kXenc, "CipherValue");
  if (!value) return invalid("EncryptedKey without CipherData/CipherValue (CipherReference is not followed)");
  auto cipher = base64Decode(xml::text(value), 2048);  // an RSA-16384 block at most
  if (!cipher) return invalid("EncryptedKey CipherValue: " + cipher.error().detail);
  if (cipher->empty()) return invalid("EncryptedKey CipherValue is empty");
  kt.cipher = std::move(*cipher);
  return kt;
}

bool isRsa(const EVP_PKEY* key) { return key && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA; }

// RSA-OAEP decryption with OpenSSL itself: xmlsec1 1.2.37 knows OAEP only with SHA-1 (and
// not xmlenc11#rsa-oaep at all). nullopt: this key does not open it.
std::optional<SecretBytes> oaepDecrypt(const EVP_PKEY* key, const KeyTransport& kt) {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(const_cast<EVP_PKEY*>(key), nullptr));
  if (!ctx || EVP_PKEY_decrypt_init(ctx.get()) <= 0 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(ctx.get(), kt.oaepDigest) <= 0 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(ctx.get(), kt.mgf1Digest) <= 0)
    return std::nullopt;
  if (!kt.label.empty()) {
    OpensslBytesPtr label(static_cast<unsigned char*>(OPENSSL_memdup(kt.label.data(), kt.label.size())));
    if (!label || EVP_PKEY_CTX_set0_rsa_oaep_label(ctx.get(), label.get(), static_cast<int>(kt.label.size())) <= 0)
      return std::nullopt;
    (void)label.release();  // now owned by ctx
  }
  const auto* in = reinterpret_cast<const unsigned char*>(kt.cipher.data());
  std::size_t outLen = 0;
  if (EVP_PKEY_decrypt(ctx.get(), nullptr, &outLen, in, kt.cipher.size()) <= 0) return std::nullopt;
  SecretBytes out;
  out.bytes.resize(outLen);
  if (EVP_PKEY_decrypt(ctx.get(), reinterpret_cast<unsigned char*>(out.bytes.data()), &outLen, in,
                       kt.cipher.size()) <= 0)
    return std::nullopt;
  out.bytes.resize(outLen);
  return out;
}

// ------------------------------------------------------------------ the decrypted octets

// The namespaces in scope at `n`, nearest declaration of each prefix first, as attributes
// for the element the decrypted octets are parsed inside (xmlenc-core §4.5: the Element
// content is a serialisation that may use prefixes declared around the EncryptedData).
std::string inScopeDeclarations(const xmlNode* n) {
  static constexpr EntityTable kAttr = makeEntityTable({{'&', "&amp;"}, {'<', "&lt;"}, {'"', "&quot;"}});
  std::vector<std::string> seen;
  std::string out;
  for (; n && n->type == XML_ELEMENT_NODE; n = n->parent)
    for (const xmlNs* ns = n->nsDef; ns; ns = ns->next) {
      std::string prefix = ns->prefix ? reinterpret_cast<const char*>(ns->prefix) : "";
      if (prefix == "xml" || std::find(seen.begin(), seen.end(), prefix) != seen.end()) continue;
      seen.push_back(prefix);
      out += prefix.empty() ? " xmlns=\"" : " xmlns:" + prefix + "=\"";
      appendEscaped(out, ns->href ? reinterpret_cast<const char*>(ns->href) : "", kAttr);
      out += '"';
    }
  return out;
}

bool onlyWhitespace(const xmlNode* text) {
  std::string_view s = text->content ? reinterpret_cast<const char*>(text->content) : "";
  return s.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

// Registers the ID attributes of `element` and its descendants in their document; a value
// already there (e.g. the Response's own ID) refuses it.
Status registerIds(xmlNode* element, const char* idAttribute) {
  for (xmlAttr* a = element->properties; a; a = a->next)
    if (!a->ns && xmlStrEqual(a->name, BAD_CAST idAttribute))
      if (auto st = xml::markId(element, idAttribute); !st) return st;
  for (xmlNode* c = element->children; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE)
      if (auto st = registerIds(c, idAttribute); !st) return st;
  return {};
}

// Parses the decrypted octets with parseSecure inside an element carrying the container's
// in-scope namespaces, and returns a copy of the one element in `doc` (not yet linked).
Result<xml::XmlNodePtr> parseDecrypted(std::string_view octets, xmlNode* container, const xml::ParseLimits& limits) {
  if (octets.size() > limits.maxBytes)
    return invalid("decrypted content of " + std::to_string(octets.size()) + " bytes is over the " +
                   std::to_string(limits.maxBytes) + "-byte cap");
  std::string text = "<decrypted" + inScopeDeclarations(container) + ">";
  text.append(octets);
  text += "</decrypted>";
  xml::ParseLimits wrapped = limits;
  wrapped.maxBytes = text.size();
  wrapped.maxDepth = limits.maxDepth + 1;
  auto fragment = xml::parseSecure(text, wrapped);
  if (!fragment) return invalid("decrypted content: " + fragment.error().detail);

  xmlNode* wrapper = xmlDocGetRootElement(fragment->get());
  xmlNode* element = nullptr;
  for (xmlNode* c = wrapper->children; c; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      if (element) return invalid("decrypted content is not exactly one element (several)");
      element = c;
    } else if (!(c->type == XML_TEXT_NODE && onlyWhitespace(c))) {
      return invalid("decrypted content is not exactly one element (text, comment or PI beside it)");
    }
  }
  if (!element) return invalid("decrypted content is not an element");

  // The copy declares on itself every namespace it uses from outside (xmlStaticCopyNode), so
  // it stands on its own wherever it goes. The container's own declarations go with the
  // container: a prefix only named in content (xsi:type="xs:string") must keep its binding.
  xml::XmlNodePtr copy(xmlDocCopyNode(element, container->doc, 1));
  if (!copy) return responderError("xmlDocCopyNode failed");
  for (const xmlNs* ns = container->nsDef; ns; ns = ns->next) {
    bool declared = false;
    for (const xmlNs* own = copy->nsDef; own && !declared; own = own->next)
      declared = xmlStrEqual(own->prefix, ns->prefix);
    if (!declared && !xmlNewNs(copy.get(), ns->href, ns->prefix)) return responderError("xmlNewNs failed");
  }
  return copy;
}

// ------------------------------------------------------------------ EncryptedData

struct CheckedData {
  xmlNode* encryptedData = nullptr;
  const DataAlgorithm* algorithm = nullptr;
  std::vector<xmlNode*> encryptedKeys;  // in KeyInfo, then the container's (saml-core §6.2)
};

Result<CheckedData> precheck(xmlNode* container) {
  CheckedData d;
  for (xmlNode* c : xml::childElements(container)) {
    if (xml::isElement(c, kXenc, "EncryptedData")) {
      if (d.encryptedData) return invalid("several EncryptedData in one " + std::string(reinterpret_cast<const char*>(container->name)));
      d.encryptedData = c;
    } else if (xml::isElement(c, kXenc, "EncryptedKey")) {
      if (!d.encryptedData) return invalid("EncryptedKey before the EncryptedData");
    } else {
      return invalid("unexpected element in the encrypted container: " + quoted(reinterpret_cast<const char*>(c->name)));
    }
  }
  if (!d.encryptedData) return invalid("no EncryptedData");
  xmlNode* data = d.encryptedData;

  // saml-core §6.1: the Type, when given, is Element.
  if (auto type = xml::collapsedAttr(data, "Type"); type && *type != kTypeElement)
    return invalid("EncryptedData Type " + quoted(*type) + " is not " + std::string(kTypeElement));
  xmlNode* method = xml::child(data, kXenc, "EncryptionMethod");
  if (!method) return invalid("EncryptedData without EncryptionMethod");
  std::string uri = xml::collapsedAttr(method, "Algorithm").value_or("");
  for (const auto& a : kDataAlgorithms)
    if (a.uri == uri) d.algorithm = &a;
  if (!d.algorithm) return invalid("data encryption algorithm not allowed: " + quoted(uri));
  if (!xml::child(xml::child(data, kXenc, "CipherData"), kXenc, "CipherValue"))
    return invalid("EncryptedData without CipherData/CipherValue (CipherReference is not followed)");

  if (xmlNode* keyInfo = xml::child(data, kDs, "KeyInfo"))
    for (xmlNode* k : xml::children(keyInfo, kXenc, "EncryptedKey")) d.encryptedKeys.push_back(k);
  for (xmlNode* k : xml::children(container, kXenc, "EncryptedKey")) d.encryptedKeys.push_back(k);
  if (d.encryptedKeys.empty()) return invalid("no EncryptedKey (in the EncryptedData's KeyInfo or beside it)");
  if (d.encryptedKeys.size() > kMaxEncryptedKeys)
    return invalid(std::to_string(d.encryptedKeys.size()) + " EncryptedKeys; at most " +
                   std::to_string(kMaxEncryptedKeys) + " are tried");
  return d;
}

Result<std::string> decryptData(xmlNode* encryptedData, const DataAlgorithm& alg, const SecretBytes& sessionKey) {
  auto key = aesKey(sessionKey.bytes);
  if (!key) return std::unexpected(key.error());
  EncCtxPtr ctx(xmlSecEncCtxCreate(nullptr));  // no keys manager: the key is the one opened above
  if (!ctx) return responderError(withOpensslErrors("xmlSecEncCtxCreate failed"));
  // Only the algorithm checked above, and nothing fetched (no CipherReference, no URIs).
  ctx->transformCtx.enabledUris = xmlSecTransformUriTypeNone;
  if (xmlSecPtrListAdd(&ctx->transformCtx.enabledTransforms, const_cast<void*>(static_cast<const void*>(dataTransform(alg.alg)))) < 0)
    return responderError("enabling the xmlsec transform failed");
  // With encKey set xmlsec never reads ds:KeyInfo for a key (xmlSecEncCtxEncDataNodeRead).
  ctx->encKey = key->release();
  xmlSecBufferPtr out = xmlSecEncCtxDecryptToBuffer(ctx.get(), encryptedData);
  std::string errors = drainOpensslErrors();
  if (!out) {
    // AES-GCM: the tag did not verify; AES-CBC: bad padding. Either way not ours to read.
    return invalid("EncryptedData did not decrypt with the transported key" + (errors.empty() ? "" : ": " + errors));
  }
  return std::string(reinterpret_cast<const char*>(xmlSecBufferGetData(out)), xmlSecBufferGetSize(out));
}

}  // namespace

std::string_view dataEncryptionUri(DataEncryption a) { return dataAlgorithm(a).uri; }

Result<Decrypted> decryptElement(xmlNode* container, std::span<const EVP_PKEY* const> keys,
                                 const xml::ParseLimits& limits) {
  initializeXmlsec();
  if (!container || container->type != XML_ELEMENT_NODE || !container->doc || !container->parent)
    return responderError("decryptElement: not an element of a document");
  auto checked = precheck(container);
  if (!checked) return std::unexpected(checked.error());
  // Every EncryptedKey is checked before any key is tried: an RSA-1.5 one is refused even
  // when an OAEP one for us sits beside it.
  std::vector<KeyTransport> transports;
  for (xmlNode* k : checked->encryptedKeys) {
    auto kt = readEncryptedKey(k);
    if (!kt) return std::unexpected(kt.error());
    transports.push_back(std::move(*kt));
  }

  std::size_t rsaKeys = 0;
  std::optional<SecretBytes> sessionKey;
  ERR_clear_error();
  for (const EVP_PKEY* key : keys) {
    if (!isRsa(key)) continue;
    ++rsaKeys;
    for (const auto& kt : transports) {
      auto opened = oaepDecrypt(key, kt);
      if (opened && opened->bytes.size() == checked->algorithm->keyBytes) {
        sessionKey = std::move(opened);
        break;
      }
    }
    if (sessionKey) break;
  }
  ERR_clear_error();  // failed OAEP attempts say nothing a caller could use
  if (rsaKeys == 0) return invalid("no RSA decryption key to open the EncryptedKey with");
  if (!sessionKey)
    return invalid("no decryption key opens the EncryptedKey (" + std::to_string(rsaKeys) + " tried): encrypted for another key");

  auto octets = decryptData(checked->encryptedData, *checked->algorithm, *sessionKey);
  sessionKey.reset();
  if (!octets) return std::unexpected(octets.error());
  auto element = parseDecrypted(*octets, container, limits);
  if (!element) return std::unexpected(element.error());

  // IDs first, while the copy is not yet in the tree: a failure frees it (and its IDs) and
  // leaves the document as it was.
  if (limits.idAttribute)
    if (auto st = registerIds(element->get(), limits.idAttribute); !st)
      return invalid("decrypted element: " + st.error().detail);
  xmlNode* placed = element->release();
  xmlReplaceNode(container, placed);
  xml::XmlNodePtr gone(container);
  return Decrypted{placed};
}

Result<xmlNode*> encryptElement(xmlNode* element, const X509* recipient, DataEncryption algorithm,
                                std::string_view containerNs, std::string_view containerName) {
  initializeXmlsec();
  if (!element || element->type != XML_ELEMENT_NODE || !element->doc || !element->parent)
    return responderError("encryptElement: not an element of a document");
  if (!recipient || !isRsa(X509_get0_pubkey(recipient)))
    return responderError("encryptElement: the recipient certificate has no RSA key");
  if (containerNs.empty() || containerName.empty()) return responderError("encryptElement: no container name");
  const DataAlgorithm& alg = dataAlgorithm(algorithm);
  ERR_clear_error();

  // A self-contained serialisation: the element copied into a document of its own declares
  // what it uses, and every other namespace in scope goes along too, so that prefixes only
  // named in content (xsi:type values) still resolve wherever it is decrypted.
  xml::XmlDocPtr alone = xml::copyToOwnDocument(element);
  if (!alone) return responderError("copying the element to encrypt failed");
  const std::string plain = xml::serializeNode(xmlDocGetRootElement(alone.get()));

  SecretBytes sessionKey;
  sessionKey.bytes.resize(alg.keyBytes);
  if (RAND_bytes(reinterpret_cast<unsigned char*>(sessionKey.bytes.data()), static_cast<int>(alg.keyBytes)) != 1)
    return responderError(withOpensslErrors("RAND_bytes failed"));

  // xenc:EncryptedData Type=Element (saml-core §6.1) with the content encrypted under the
  // session key; the EncryptedKey goes into its KeyInfo afterwards, encrypted by a second
  // context under the recipient's key (no keys manager: nothing is looked up).
  xml::XmlNodePtr data(xmlSecTmplEncDataCreate(element->doc, dataTransform(algorithm), nullptr, xmlSecTypeEncElement,
                                               nullptr, nullptr));
  if (!data || !xmlSecTmplEncDataEnsureCipherValue(data.get()))
    return responderError("building the EncryptedData template failed");
  {
    auto key = aesKey(sessionKey.bytes);
    if (!key) return std::unexpected(key.error());
    EncCtxPtr ctx(xmlSecEncCtxCreate(nullptr));
    if (!ctx) return responderError(withOpensslErrors("xmlSecEncCtxCreate failed"));
    ctx->encKey = key->release();
    if (xmlSecEncCtxBinaryEncrypt(ctx.get(), data.get(), reinterpret_cast<const xmlSecByte*>(plain.data()),
                                  static_cast<xmlSecSize>(plain.size())) < 0)
      return responderError(withOpensslErrors("encrypting the element failed"));
  }
  xmlNode* keyInfo = xmlSecTmplEncDataEnsureKeyInfo(data.get(), nullptr);
  xmlNode* encryptedKey =
      keyInfo ? xmlSecTmplKeyInfoAddEncryptedKey(keyInfo, xmlSecTransformRsaOaepId, nullptr, nullptr, nullptr) : nullptr;
  if (!encryptedKey || !xmlSecTmplEncDataEnsureCipherValue(encryptedKey))
    return responderError("building the EncryptedKey template failed");
  {
    EvpPkeyPtr pub(X509_get_pubkey(const_cast<X509*>(recipient)));
    if (!pub) return responderError(withOpensslErrors("the recipient certificate has no usable public key"));
    auto key = xmlsecKey(pub.get());
    if (!key) return std::unexpected(key.error());
    EncCtxPtr ctx(xmlSecEncCtxCreate(nullptr));
    if (!ctx) return responderError(withOpensslErrors("xmlSecEncCtxCreate failed"));
    ctx->mode = xmlEncCtxModeEncryptedKey;
    ctx->encKey = key->release();
    if (xmlSecEncCtxBinaryEncrypt(ctx.get(), encryptedKey, reinterpret_cast<const xmlSecByte*>(sessionKey.bytes.data()),
                                  static_cast<xmlSecSize>(sessionKey.bytes.size())) < 0)
      return responderError(withOpensslErrors("encrypting the session key failed"));
  }

  const std::string nsUri(containerNs);
  const std::string name(containerName);
  xml::XmlNodePtr container(xmlNewDocNode(element->doc, nullptr, BAD_CAST name.c_str(), nullptr));
  if (!container) return responderError("xmlNewDocNode failed");
  xmlNs* ns = element->parent->type == XML_ELEMENT_NODE
                  ? xmlSearchNsByHref(element->doc, element->parent, BAD_CAST nsUri.c_str())
                  : nullptr;
  if (!ns) ns = xmlNewNs(container.get(), BAD_CAST nsUri.c_str(), BAD_CAST(nsUri == xml::ns::kSaml ? "saml" : "ns1"));
  if (!ns) return responderError("xmlNewNs failed");
  xmlSetNs(container.get(), ns);
  if (xmlAddChild(container.get(), data.get()) != data.get()) return responderError("xmlAddChild failed");
  (void)data.release();  // now owned by the container

  xmlNode* placed = container.release();
  xmlReplaceNode(element, placed);
  xml::XmlNodePtr gone(element);  // its IDs leave the document with it
  return placed;
}

}  // namespace propusk::crypto
