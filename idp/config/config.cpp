#include "idp/config/config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <charconv>
#include <fstream>
#include <functional>
#include <map>

#include "idp/saml/messages/sp_metadata.h"
#include "idp/store/postgres/pq_handles.h"
#include "idp/store/sql/connection.h"

namespace propusk::config {

namespace {

long toNumber(const std::string& key, const std::string& v, long lo, long hi) {
  long n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < lo || n > hi)
    throw ConfigError(key + ": must be a whole number from " + std::to_string(lo) + " to " + std::to_string(hi));
  return n;
}

void collectKeys(Poco::Util::AbstractConfiguration& cfg, const std::string& prefix,
                 std::vector<std::string>& out) {
  Poco::Util::AbstractConfiguration::Keys keys;
  cfg.keys(prefix, keys);
  if (keys.empty() && !prefix.empty()) out.push_back(prefix);
  for (auto& k : keys) collectKeys(cfg, prefix.empty() ? k : prefix + "." + k, out);
}

// A libpq connection string, parsed by libpq itself; a password in it is refused (it would sit
// in a file more people read than should know it: [store] password_file, or PGPASSWORD /
// PGPASSFILE in the environment).
std::string checkedConnection(const std::string& key, const std::string& v) {
  std::map<std::string, std::string> kv;
  try {
    kv = store::postgres::parseConninfo(v);
  } catch (const store::sql::SqlError& e) {
    throw ConfigError(key + ": " + e.what());
  }
  if (kv.contains("password"))
    throw ConfigError(key + ": must not hold the password (use [store] password_file, or PGPASSWORD / PGPASSFILE)");
  return v;
}

// The first line of the file; refused when other users may read it (as libpq refuses such a
// .pgpass), or when it is empty.
std::string readPasswordFile(const std::string& key, const std::filesystem::path& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::is_regular_file(st)) throw ConfigError(key + ": " + path.string() + ": no such file");
  using P = std::filesystem::perms;
  if ((st.permissions() & (P::group_all | P::others_all)) != P::none)
    throw ConfigError(key + ": " + path.string() + " may be read by other users (chmod 600 it)");
  std::ifstream in(path);
  std::string line;
  if (!in || !std::getline(in, line)) throw ConfigError(key + ": " + path.string() + ": cannot read");
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  if (line.empty()) throw ConfigError(key + ": " + path.string() + ": empty");
  return line;
}

NotifyConfig::Kind notifyKind(const std::string& key, const std::string& v) {
  if (v == "none") return NotifyConfig::Kind::None;
  if (v == "file") return NotifyConfig::Kind::File;
  if (v == "smtp") return NotifyConfig::Kind::Smtp;
  if (v == "webhook") return NotifyConfig::Kind::Webhook;
  throw ConfigError(key + ": must be smtp, webhook, file or none");
}

}  // namespace

void setListen(Config& c, const std::string& hp) {
  auto colon = hp.rfind(':');
  if (colon == std::string::npos || colon == 0) throw ConfigError("listen: expected HOST:PORT, got '" + hp + "'");
  std::string host = hp.substr(0, colon);
  if (host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  c.listenHost = host;
  c.listenPort = static_cast<unsigned>(toNumber("listen port", hp.substr(colon + 1), 0, 65535));
}

void setPublicUrl(Config& c, const std::string& url) {
  std::string u = url;
  while (!u.empty() && u.back() == '/') u.pop_back();
  if (!saml::isAbsoluteHttpUrl(u) || u.find('?') != std::string::npos)
    throw ConfigError("public-url: must be an absolute http(s) URL without query, got '" + url + "'");
  c.publicUrl = u;
  c.publicUrlGiven = true;
}

Config loadConfigFile(const std::filesystem::path& file) {
  Config c;
  if (!std::filesystem::is_regular_file(file)) throw ConfigError(file.string() + ": no such config file");
  Poco::AutoPtr<Poco::Util::IniFileConfiguration> ini;
  try {
    ini = new Poco::Util::IniFileConfiguration(file.string());
  } catch (const Poco::Exception& e) {
    throw ConfigError(file.string() + ": " + e.displayText());
  }
  auto base = std::filesystem::absolute(file).parent_path();
  using Setter = std::function<void(const std::string&, const std::string&)>;
  const std::map<std::string, Setter> setters = {
      {"store.data_dir", [&](auto&, auto& v) { c.dataDir = std::filesystem::path(v).is_absolute() ? std::filesystem::path(v) : base / v; }},
      {"server.data_dir", [&](auto&, auto& v) { c.dataDir = std::filesystem::path(v).is_absolute() ? std::filesystem::path(v) : base / v; }},
      {"store.engine", [&](auto& k, auto& v) {
         if (v == "sqlite") c.storeEngine = store::StoreLocation::Engine::Sqlite;
         else if (v == "postgresql") c.storeEngine = store::StoreLocation::Engine::Postgresql;
         else throw ConfigError(k + ": must be sqlite or postgresql");
       }},
      {"store.connection", [&](auto& k, auto& v) { c.storeConnection = checkedConnection(k, v); }},
      {"store.password_file", [&](auto& k, auto& v) {
         c.storePassword = readPasswordFile(k, std::filesystem::path(v).is_absolute() ? std::filesystem::path(v) : base / v);
       }},
      {"store.pool_size", [&](auto& k, auto& v) { c.storePoolSize = static_cast<std::size_t>(toNumber(k, v, 1, 64)); }},
      {"server.listen", [&](auto&, auto& v) { setListen(c, v); }},
      {"server.public_url", [&](auto&, auto& v) { setPublicUrl(c, v); }},
      {"saml.entity_id", [&](auto&, auto& v) { c.entityId = v; }},
      {"saml.clock_skew_seconds", [&](auto& k, auto& v) { c.clockSkew = std::chrono::seconds(toNumber(k, v, 0, 3600)); }},
      {"saml.want_authn_requests_signed", [&](auto& k, auto& v) {
         if (v != "true" && v != "false") throw ConfigError(k + ": must be true or false");
         c.wantAuthnRequestsSigned = v == "true";
       }},
      {"saml.max_relay_state_bytes", [&](auto& k, auto& v) { c.maxRelayStateBytes = static_cast<std::size_t>(toNumber(k, v, 80, 4096)); }},
      {"session.idle_minutes", [&](auto& k, auto& v) { c.sessionIdle = std::chrono::minutes(toNumber(k, v, 1, 24 * 60)); }},
      {"session.absolute_minutes", [&](auto& k, auto& v) { c.sessionAbsolute = std::chrono::minutes(toNumber(k, v, 1, 30 * 24 * 60)); }},
      {"logout.back_channel_private_networks", [&](auto& k, auto& v) {
         if (v != "true" && v != "false") throw ConfigError(k + ": must be true or false");
         c.backChannelPrivateNetworks = v == "true";
       }},
      {"logout.advertise_soap", [&](auto& k, auto& v) {
         if (v != "true" && v != "false") throw ConfigError(k + ": must be true or false");
         c.advertiseSoapLogout = v == "true";
       }},
      {"logout.back_channel_timeout_seconds", [&](auto& k, auto& v) { c.backChannelTimeout = std::chrono::seconds(toNumber(k, v, 1, 60)); }},
      {"login.lockout_threshold", [&](auto& k, auto& v) { c.lockoutThreshold = static_cast<int>(toNumber(k, v, 1, 100)); }},
      {"login.allow_ip", [&](auto& k, auto& v) {
         auto list = parseCidrList(v);
         if (!list) throw ConfigError(k + ": " + list.error().detail);
         c.allowIp = *list;
       }},
      {"login.throttle_failures", [&](auto& k, auto& v) { c.throttleFailures = static_cast<int>(toNumber(k, v, 1, 10000)); }},
      {"login.throttle_window_minutes", [&](auto& k, auto& v) { c.throttleWindow = std::chrono::minutes(toNumber(k, v, 1, 24 * 60)); }},
      {"auth.factor_key_file", [&](auto&, auto& v) { c.factorKeyFile = std::filesystem::path(v).is_absolute() ? std::filesystem::path(v) : base / v; }},
      {"auth.totp_issuer", [&](auto& k, auto& v) {
         if (v.empty() || v.size() > 64 || v.find(':') != std::string::npos) throw ConfigError(k + ": 1 to 64 characters, no ':'");
         c.totpIssuer = v;
       }},
      {"auth.code_lifetime_seconds", [&](auto& k, auto& v) { c.codeLifetime = std::chrono::seconds(toNumber(k, v, 60, 3600)); }},
      {"auth.code_attempts", [&](auto& k, auto& v) { c.codeAttempts = static_cast<int>(toNumber(k, v, 1, 20)); }},
      {"auth.codes_per_window", [&](auto& k, auto& v) { c.codesPerWindow = static_cast<int>(toNumber(k, v, 1, 100)); }},
      {"notify.channel", [&](auto& k, auto& v) {
         auto kind = notifyKind(k, v);
         c.notify.email = kind;
         // SMTP carries e-mail only; the other two carry both.
         c.notify.sms = kind == NotifyConfig::Kind::Smtp ? NotifyConfig::Kind::None : kind;
       }},
      {"notify.email_channel", [&](auto& k, auto& v) { c.notify.email = notifyKind(k, v); }},
      {"notify.sms_channel", [&](auto& k, auto& v) {
         c.notify.sms = notifyKind(k, v);
         if (c.notify.sms == NotifyConfig::Kind::Smtp) throw ConfigError(k + ": smtp carries e-mail only (webhook, file or none)");
       }},
      {"notify.file", [&](auto&, auto& v) { c.notify.file = std::filesystem::path(v).is_absolute() ? std::filesystem::path(v) : base / v; }},
      {"notify.smtp_host", [&](auto& k, auto& v) {
         if (v.empty()) throw ConfigError(k + ": empty");
         c.notify.smtpHost = v;
       }},
      {"notify.smtp_port", [&](auto& k, auto& v) { c.notify.smtpPort = static_cast<unsigned>(toNumber(k, v, 1, 65535)); }},
      {"notify.smtp_from", [&](auto& k, auto& v) {
         if (v.find('@') == std::string::npos || v.find_first_of("\r\n <>") != std::string::npos)
           throw ConfigError(k + ": an e-mail address");
         c.notify.smtpFrom = v;
       }},
      {"notify.smtp_from_name", [&](auto& k, auto& v) {
         if (v.find_first_of("\r\n") != std::string::npos) throw ConfigError(k + ": one line");
         c.notify.smtpFromName = v;
       }},
      {"notify.smtp_starttls", [&](auto& k, auto& v) {
         if (v != "auto" && v != "required" && v != "never") throw ConfigError(k + ": must be auto, required or never");
         c.notify.smtpStarttls = v;
       }},
      {"notify.smtp_user", [&](auto&, auto& v) { c.notify.smtpUser = v; }},
      {"notify.smtp_password_file", [&](auto& k, auto& v) {
         c.notify.smtpPassword = readPasswordFile(k, std::filesystem::path(v).is_absolute() ? std::filesystem::path(v) : base / v);
       }},
      {"notify.smtp_ca_file", [&](auto&, auto& v) { c.notify.smtpCaFile = std::filesystem::path(v).is_absolute() ? v : (base / v).string(); }},
      {"notify.smtp_timeout_seconds", [&](auto& k, auto& v) { c.notify.smtpTimeoutSeconds = static_cast<int>(toNumber(k, v, 1, 120)); }},
      {"notify.webhook_url", [&](auto& k, auto& v) {
         if (!saml::isAbsoluteHttpUrl(v)) throw ConfigError(k + ": an absolute http(s) URL");
         c.notify.webhookUrl = v;
       }},
      {"notify.webhook_token_file", [&](auto& k, auto& v) {
         c.notify.webhookToken = readPasswordFile(k, std::filesystem::path(v).is_absolute() ? std::filesystem::path(v) : base / v);
       }},
      {"notify.webhook_ca_file", [&](auto&, auto& v) { c.notify.webhookCaFile = std::filesystem::path(v).is_absolute() ? v : (base / v).string(); }},
      {"notify.webhook_timeout_ms", [&](auto& k, auto& v) { c.notify.webhookTimeoutMs = static_cast<int>(toNumber(k, v, 100, 60000)); }},
      {"notify.webhook_retries", [&](auto& k, auto& v) { c.notify.webhookRetries = static_cast<int>(toNumber(k, v, 0, 10)); }},
      {"keys.algorithm", [&](auto& k, auto& v) {
         auto a = crypto::parseKeyAlgorithm(v);
         if (!a) throw ConfigError(k + ": must be rsa2048, rsa3072 or ec-p256");
         c.keyAlgorithm = *a;
       }},
      {"keys.validity_days", [&](auto& k, auto& v) { c.keyValidityDays = static_cast<int>(toNumber(k, v, 1, 36500)); }},
      {"password.min_length", [&](auto& k, auto& v) { c.passwordPolicy.minLength = toNumber(k, v, 8, 256); }},
      {"password.min_classes", [&](auto& k, auto& v) { c.passwordPolicy.minClasses = static_cast<int>(toNumber(k, v, 1, 4)); }},
      {"password.argon2_memory_kib", [&](auto& k, auto& v) { c.argon2.memoryKiB = static_cast<unsigned>(toNumber(k, v, 7168, 4 << 20)); }},
      {"password.argon2_iterations", [&](auto& k, auto& v) { c.argon2.iterations = static_cast<unsigned>(toNumber(k, v, 1, 100)); }},
      {"password.argon2_parallelism", [&](auto& k, auto& v) { c.argon2.parallelism = static_cast<unsigned>(toNumber(k, v, 1, 64)); }},
  };
  std::vector<std::string> keys;
  collectKeys(*ini, "", keys);
  for (auto& k : keys) {
    auto it = setters.find(k);
    if (it == setters.end()) throw ConfigError(file.string() + ": unknown key '" + k + "'");
    try {
      it->second(k, ini->getString(k));
    } catch (const ConfigError& e) {
      throw ConfigError(file.string() + ": " + e.what());
    }
  }
  if (c.storeEngine == store::StoreLocation::Engine::Postgresql && c.storeConnection.empty())
    throw ConfigError(file.string() + ": store.connection: required with engine = postgresql");
  using Kind = NotifyConfig::Kind;
  if (c.notify.email == Kind::Smtp && c.notify.smtpFrom.empty())
    throw ConfigError(file.string() + ": notify.smtp_from: required with the smtp channel");
  if ((c.notify.email == Kind::Webhook || c.notify.sms == Kind::Webhook) && c.notify.webhookUrl.empty())
    throw ConfigError(file.string() + ": notify.webhook_url: required with the webhook channel");
  if (c.notify.smtpUser && !c.notify.smtpPassword)
    throw ConfigError(file.string() + ": notify.smtp_password_file: required with notify.smtp_user");
  return c;
}

store::StoreLocation Config::storeLocation() const {
  store::StoreLocation l;
  l.engine = storeEngine;
  l.sqliteFile = storeFile();
  l.connection = storeConnection;
  l.password = storePassword;
  l.poolSize = storePoolSize;
  return l;
}

}  // namespace propusk::config
