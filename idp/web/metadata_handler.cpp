#include "idp/web/metadata_handler.h"

#include <stdexcept>

#include "idp/admin/key_ring.h"
#include "idp/crypto/keys.h"
#include "idp/saml/build/idp_metadata.h"
#include "idp/web/respond.h"

namespace propusk::web {

std::string MetadataCache::get() {
  auto keys = admin::publishedKeys(ctx_.store);
  std::string keySetId;
  for (auto& k : keys) keySetId += k.id + ":" + std::string(store::keyStateName(k.state)) + ";";
  std::lock_guard lock(mutex_);
  auto now = ctx_.clock.now();
  if (!xml_.empty() && keySetId == keySetId_ && now - builtAt_ < std::chrono::minutes(1)) return xml_;

  std::vector<crypto::X509Ptr> certs;
  crypto::EvpPkeyPtr signingKey;
  crypto::X509Ptr signingCert;
  for (auto& k : keys) {
    auto cert = crypto::loadCertificatePem(k.certificatePem);
    if (!cert) throw std::runtime_error("stored certificate of key " + k.id + " unreadable: " + cert.error().detail);
    if (k.state == store::KeyState::Active) {
      auto key = crypto::loadPrivateKeyPem(k.privateKeyPem);
      if (!key) throw std::runtime_error("stored private key " + k.id + " unreadable: " + key.error().detail);
      signingKey = std::move(*key);
      auto again = crypto::loadCertificatePem(k.certificatePem);
      signingCert = std::move(*again);
    }
    certs.push_back(std::move(*cert));
  }
  if (!signingKey) throw std::runtime_error("no active signing key");
  saml::IdpMetadataInput in;
  in.entityId = ctx_.config.idpEntityId();
  in.baseUrl = ctx_.config.publicUrl;
  for (auto& c : certs) in.publishedCertificates.push_back(c.get());
  in.now = now;
  in.wantAuthnRequestsSigned = ctx_.config.wantAuthnRequestsSigned;
  in.advertiseSoapLogout = ctx_.config.advertiseSoapLogout;
  in.signingKey = signingKey.get();
  in.signingCertificate = signingCert.get();
  auto xml = saml::buildIdpMetadata(in, ctx_.random);
  if (!xml) throw std::runtime_error("metadata: " + xml.error().detail);
  xml_ = std::move(*xml);
  keySetId_ = keySetId;
  builtAt_ = now;
  return xml_;
}

void MetadataHandler::handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) {
  std::string xml = cache_.get();
  addSecurityHeaders(resp, ctx_.config.publicUrl.starts_with("https://"));
  resp.set("Cache-Control", "public, max-age=3600");
  sendBody(resp, Poco::Net::HTTPResponse::HTTP_OK, "application/samlmetadata+xml", xml);
}

}  // namespace propusk::web
