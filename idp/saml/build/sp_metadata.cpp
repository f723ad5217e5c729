#include "idp/saml/build/sp_metadata.h"

#include "idp/crypto/keys.h"
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
  if (in.certificate) {
    xmlNs* ds = declareNs(root, ns::kDs, "ds");
    xmlNode* kd = addChild(sp, md, "KeyDescriptor");
    setAttr(kd, "use", "signing");
    xmlNode* data = addChild(addChild(kd, ds, "KeyInfo"), ds, "X509Data");
    addChild(data, ds, "X509Certificate", crypto::certificateBase64Der(in.certificate));
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
