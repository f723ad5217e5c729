// Configuration of propusk and propuskctl: defaults, an optional INI file, then
// command-line overrides. Unknown keys and bad values are refused at startup.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "idp/auth/password_hash.h"
#include "idp/auth/password_policy.h"
#include "idp/crypto/keys.h"
#include "idp/store/store.h"

namespace propusk::config {

struct Config {
  std::filesystem::path dataDir = "var";
  std::string listenHost = "127.0.0.1";
  unsigned listenPort = 8443;
  std::string publicUrl = "https://localhost:8443";
  bool publicUrlGiven = false;  // by the config file or --public-url (else the default above)
  std::string entityId;  // empty: publicUrl + "/saml/metadata"
  std::chrono::seconds clockSkew{180};
  bool wantAuthnRequestsSigned = false;
  std::size_t maxRelayStateBytes = 80;   // bindings §3.4.3 / §3.5.3; some SPs (mod_auth_mellon) send more  // IdP-wide: refuse unsigned AuthnRequests from every SP
  std::chrono::seconds sessionIdle = std::chrono::minutes(30);
  std::chrono::seconds sessionAbsolute = std::chrono::hours(8);
  int lockoutThreshold = 5;
  std::chrono::seconds backChannelTimeout{5};  // per SP, for SOAP Single Logout
  bool backChannelPrivateNetworks = false;     // allow SOAP endpoints on loopback/private addresses
  bool advertiseSoapLogout = false;            // list /saml/soap as a SingleLogoutService in metadata
  crypto::KeyAlgorithm keyAlgorithm = crypto::KeyAlgorithm::Rsa2048;
  int keyValidityDays = 3650;
  auth::PasswordPolicy passwordPolicy;
  auth::Argon2Params argon2;

  // [store]: SQLite in dataDir (the default), or PostgreSQL (docs/store.md).
  store::StoreLocation::Engine storeEngine = store::StoreLocation::Engine::Sqlite;
  std::string storeConnection;                 // libpq keyword=value, never with a password
  std::optional<std::string> storePassword;    // read from [store] password_file
  std::size_t storePoolSize = 4;

  std::filesystem::path storeFile() const { return dataDir / "propusk.db"; }
  store::StoreLocation storeLocation() const;
  std::string idpEntityId() const { return entityId.empty() ? publicUrl + "/saml/metadata" : entityId; }
};

// The server records the public URL and entityID it runs with in the store, so that
// propuskctl (which may be given only --data) speaks as the same IdP when it signs messages
// (session kill's LogoutRequests).
inline constexpr char kServedPublicUrlSetting[] = "server.public_url";
inline constexpr char kServedEntityIdSetting[] = "server.entity_id";

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Reads an INI file (sections [server], [store], [keys], [password], [saml], [session], [login],
// [logout]); relative paths (data_dir, password_file) are taken relative to the file's
// directory. Throws ConfigError naming the file, key and reason.
Config loadConfigFile(const std::filesystem::path& file);

// "HOST:PORT" or "[v6]:PORT" into listenHost/listenPort; throws ConfigError.
void setListen(Config& c, const std::string& hostPort);
// Absolute http(s) URL without a trailing slash; throws ConfigError.
void setPublicUrl(Config& c, const std::string& url);

}  // namespace propusk::config
