#include "idp/cli/samlflow/sp_identity.h"

#include <algorithm>
#include <filesystem>

#include "idp/crypto/keys.h"
#include "idp/saml/validation/steps.h"

namespace propusk::cli::samlflow {

const saml::Endpoint* SpIdentity::postAcs() const { return saml::defaultPostAcs(metadata); }

SpIdentity loadSpIdentity(Env& env, const std::string& dirOrFile, const std::optional<std::string>& keyFile) {
  namespace fs = std::filesystem;
  SpIdentity sp;
  sp.source = dirOrFile;
  std::error_code ec;
  bool isDir = fs::is_directory(dirOrFile, ec);
  std::string metadataFile = isDir ? (fs::path(dirOrFile) / kSpMetadataFile).string() : dirOrFile;
  if (!fs::exists(metadataFile, ec))
    throw CliError("sp: no " + metadataFile + (isDir ? " (make it with 'samlflow sp-metadata --sp " + dirOrFile + " ...')" : ""));
  sp.metadataXml = readInput(env, metadataFile, "sp", 1u << 20);
  saml::MetadataCheck check;
  check.now = env.clock.now();
  auto md = saml::parseSpMetadata(sp.metadataXml, check);
  if (!md) throw CliError("sp: " + metadataFile + ": " + md.error().detail);
  sp.metadata = std::move(*md);

  std::optional<std::string> keyPath = keyFile;
  if (!keyPath && isDir && fs::exists(fs::path(dirOrFile) / kSpKeyFile, ec)) keyPath = (fs::path(dirOrFile) / kSpKeyFile).string();
  if (keyPath) {
    auto key = crypto::loadPrivateKeyPem(readInput(env, *keyPath, "sp-key", 64 * 1024));
    if (!key) throw CliError("sp-key: " + *keyPath + ": " + key.error().detail);
    sp.key = std::move(*key);
    for (auto& c : sp.metadata.signingCertificates)
      if (crypto::keyMatchesCertificate(sp.key.get(), c.get())) sp.cert.reset(X509_dup(c.get()));
    if (!sp.cert && isDir && fs::exists(fs::path(dirOrFile) / kSpCertFile, ec)) {
      auto cert = crypto::loadCertificateFile((fs::path(dirOrFile) / kSpCertFile).string());
      if (cert && crypto::keyMatchesCertificate(sp.key.get(), cert->get())) sp.cert = std::move(*cert);
    }
    if (!sp.metadata.signingCertificates.empty() &&
        std::none_of(sp.metadata.signingCertificates.begin(), sp.metadata.signingCertificates.end(),
                     [&](auto& c) { return crypto::keyMatchesCertificate(sp.key.get(), c.get()); }))
      throw CliError("sp-key: " + *keyPath + " matches no signing certificate in " + metadataFile +
                     "; the IdP would refuse its signatures");
  }
  return sp;
}

}  // namespace propusk::cli::samlflow
