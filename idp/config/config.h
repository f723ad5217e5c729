// Configuration of propusk and propuskctl: defaults, an optional INI file, then
// command-line overrides. Unknown keys and bad values are refused at startup.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "idp/auth/password_hash.h"
#include "idp/core/cidr.h"
#include "idp/auth/password_policy.h"
#include "idp/crypto/keys.h"
#include "idp/store/store.h"

namespace propusk::config {

// [notify]: how messages reach a person (docs/account-security.md). Each channel (e-mail,
// SMS) has its notifier; `channel` sets both, email_channel / sms_channel one.
struct NotifyConfig {
  enum class Kind { None, File, Smtp, Webhook };
  Kind email = Kind::None;
  Kind sms = Kind::None;
  std::filesystem::path file;  // File: empty means DATA_DIR/notifications.jsonl
  std::string smtpHost = "127.0.0.1";
  unsigned smtpPort = 25;
  std::string smtpFrom;
  std::string smtpFromName = "Propusk";
  std::string smtpStarttls = "auto";  // auto | required | never
  std::optional<std::string> smtpUser;
  std::optional<std::string> smtpPassword;  // from smtp_password_file
  std::string smtpCaFile;
  int smtpTimeoutSeconds = 10;
  std::string webhookUrl;
  std::string webhookToken;  // from webhook_token_file
  std::string webhookCaFile;
  int webhookTimeoutMs = 5000;
  int webhookRetries = 3;
};

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

  // Account security (docs/account-security.md).
  std::vector<Cidr> allowIp;                   // [login] allow_ip: empty, any address
  int throttleFailures = 30;                   // [login] throttle_failures
  std::chrono::seconds throttleWindow = std::chrono::minutes(15);
  std::filesystem::path factorKeyFile;         // [auth] factor_key_file: empty means DATA_DIR/factor.key
  std::string totpIssuer = "Propusk";          // [auth] totp_issuer
  std::chrono::seconds codeLifetime{300};      // [auth] code_lifetime_seconds
  int codeAttempts = 5;                        // [auth] code_attempts
  int codesPerWindow = 5;                      // [auth] codes_per_window (per account and per address, 15 min)
  NotifyConfig notify;

  // [store]: SQLite in dataDir (the default), or PostgreSQL (docs/store.md).
  store::StoreLocation::Engine storeEngine = store::StoreLocation::Engine::Sqlite;
  std::string storeConnection;                 // libpq keyword=value, never with a password
  std::optional<std::string> storePassword;    // read from [store] password_file
  std::size_t storePoolSize = 4;

  std::filesystem::path storeFile() const { return dataDir / "propusk.db"; }
  std::filesystem::path factorKeyPath() const { return factorKeyFile.empty() ? dataDir / "factor.key" : factorKeyFile; }
  std::filesystem::path notifyFile() const {
    return notify.file.empty() ? dataDir / "notifications.jsonl" : notify.file;
  }
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
