// First-start provisioning: store, keys, TLS certificate; for the no-argument development
// instance also a demo user and the example SPs from sp-metadata/.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "idp/config/config.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/store/store.h"

namespace propusk::app {

struct TlsFiles {
  std::filesystem::path cert;
  std::filesystem::path key;
  bool created = false;
};

// dataDir/tls/server.{crt,key}; a self-signed certificate for the public URL's host,
// localhost and 127.0.0.1/::1 is made when missing (key file 0600).
TlsFiles ensureTlsCertificate(const config::Config& config, const Clock& clock);

struct DevSetup {
  std::string demoLogin;
  std::string demoPassword;  // only when just created; otherwise empty
  std::filesystem::path demoPasswordFile;
  std::vector<std::string> registeredSps;
  std::vector<std::string> messages;  // warnings for the console
};

// Idempotent: the demo user is made once (random password written to dataDir/demo-password,
// 0600); each sp-metadata/*.xml not yet registered is registered, releasing every attribute.
DevSetup ensureDevData(store::Store& store, const config::Config& config, const std::filesystem::path& spMetadataDir,
                       const Clock& clock, Random& random);

}  // namespace propusk::app
