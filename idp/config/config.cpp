#include "idp/config/config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/IniFileConfiguration.h>

#include <charconv>
#include <functional>
#include <map>

#include "idp/saml/messages/sp_metadata.h"

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
  return c;
}

}  // namespace propusk::config
