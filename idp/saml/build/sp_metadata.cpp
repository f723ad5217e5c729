#include "idp/saml/build/sp_metadata.h"

#include "idp/crypto/keys.h"
#include "idp/crypto/xml_encryption.h"
#include "idp/saml/messages/sp_metadata.h"
#include "idp/xml/builder.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"

namespace propusk::saml {

Result<std::string> buildSpMetadata(const SpMetadataInput& in) {
  if (in.entityId.empty()) return invalid("entityID: empty");
  if (!isAbsoluteHttpUrl(in.acsUrl)) return invalid("acs: '" + in.acsUrl + "' is not an absolute http(s) URL");
  if (in.sloUrl && !isAbsoluteHttpUrl(*in.sloUrl))
    return invalid("slo: '" + *in.sloUrl + "' is not an absolute http(s) URL");
  using namespace xml;
  xmlNode* root = nullptr;
  auto doc = newDocument(ns::kMd, "md", "EntityDescriptor", &root);
  xmlNs* md = root->ns;
  setAttr(root, "entityID", in.entityId);
  if (in.validUntil) setAttr(root, "validUntil", formatXsDateTime(*in.validUntil));
  xmlNode* sp = addChild(root, md, "SPSSODescriptor");
  setAttr(sp, "AuthnRequestsSigned", in.certificate ? "true" : "false");
  setAttr(sp, "WantAssertionsSigned", "true");
  setAttr(sp, "protocolSupportEnumeration", kProtocolSaml2);
  // Schema order (metadata §2.4.1, §2.4.2, §2.4.4): Extensions, KeyDescriptor,
  // SingleLogoutService, NameIDFormat, AssertionConsumerService.
  if (in.displayName) {
    xmlNode* ext = addChild(sp, md, "Extensions");
    xmlNs* mdui = declareNs(ext, ns::kMdui, "mdui");
    xmlNode* ui = addChild(ext, mdui, "UIInfo");
    xmlNode* dn = addChild(ui, mdui, "DisplayName", *in.displayName);
    xmlNodeSetLang(dn, BAD_CAST "en");
  }
  auto keyDescriptor = [&](const X509* cert, const char* use) {
    xmlNs* ds = declareNs(root, ns::kDs, "ds");
    xmlNode* kd = addChild(sp, md, "KeyDescriptor");
    setAttr(kd, "use", use);
    xmlNode* data = addChild(addChild(kd, ds, "KeyInfo"), ds, "X509Data");
    addChild(data, ds, "X509Certificate", crypto::certificateBase64Der(cert));
    return kd;
  };
  if (in.certificate) keyDescriptor(in.certificate, "signing");
  // metadata §2.4.1.1: what we decrypt, preferred first (an IdP such as Shibboleth picks the
  // first it supports); never RSA PKCS#1 v1.5, which crypto::decryptElement refuses.
  for (const X509* cert : in.encryptionCertificates) {
    if (!cert) return invalid("encryption certificate: none given");
    xmlNode* kd = keyDescriptor(cert, "encryption");
    for (std::string_view alg : {crypto::kAes256GcmUri, crypto::kAes128GcmUri, crypto::kAes256CbcUri,
                                 crypto::kAes128CbcUri, crypto::kRsaOaepMgf1pUri})
      setAttr(addChild(kd, md, "EncryptionMethod"), "Algorithm", alg);
  }
  if (in.sloUrl) {
    for (auto binding : {kBindingRedirect, kBindingPost}) {
      xmlNode* slo = addChild(sp, md, "SingleLogoutService");
      setAttr(slo, "Binding", binding);
      setAttr(slo, "Location", *in.sloUrl);
    }
  }
  for (auto& f : in.nameIdFormats) addChild(sp, md, "NameIDFormat", f);
  xmlNode* acs = addChild(sp, md, "AssertionConsumerService");
  setAttr(acs, "Binding", kBindingPost);
  setAttr(acs, "Location", in.acsUrl);
  setAttr(acs, "index", "0");
  setAttr(acs, "isDefault", "true");
  return serialize(doc.get());
}

}  // namespace propusk::saml
