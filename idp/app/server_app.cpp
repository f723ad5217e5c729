#include "idp/app/server_app.h"

#include <Poco/ConsoleChannel.h>
#include <Poco/FormattingChannel.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPServer.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SecureServerSocket.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/PatternFormatter.h>
#include <Poco/Util/HelpFormatter.h>
#include <Poco/URI.h>
#include <Poco/Util/Option.h>

#include <condition_variable>
#include <iostream>
#include <thread>

#include "idp/admin/bootstrap.h"
#include "idp/auth/password_hasher.h"
#include "idp/core/json_text.h"
#include "idp/notify/file_notifier.h"
#include "idp/notify/outbox.h"
#include "idp/sso/address_throttle.h"
#include "idp/sso/second_factors.h"
#include "idp/web/smtp_notifier.h"
#include "idp/web/webhook_notifier.h"
#include "idp/app/dev_setup.h"
#include "idp/config/config.h"
#include "idp/crypto/xml_signature.h"
#include "idp/sso/assertion_issuer.h"
#include "idp/sso/login_service.h"
#include "idp/sso/session_manager.h"
#include "idp/sso/signing_keys.h"
#include "idp/sso/gateway.h"
#include "idp/store/memory_replay_cache.h"
#include "idp/store/shared_replay_cache.h"
#include "idp/store/store.h"
#include "idp/store/store_sp_directory.h"
#include "idp/web/router.h"
#include "idp/web/soap_client.h"
#include "idp/sso/logout_service.h"
#include "idp/xml/schema.h"

namespace propusk::app {

namespace {
// The notifier of one channel as [notify] configures it; nullptr for none.
std::unique_ptr<notify::Notifier> makeNotifier(const config::NotifyConfig& n, config::NotifyConfig::Kind kind,
                                               const std::filesystem::path& file, const Clock& clock, Random& random) {
  using Kind = config::NotifyConfig::Kind;
  switch (kind) {
    case Kind::None: return nullptr;
    case Kind::File: return std::make_unique<notify::FileNotifier>(file, clock);
    case Kind::Smtp: {
      web::SmtpSettings s;
      s.host = n.smtpHost;
      s.port = n.smtpPort;
      s.from = n.smtpFrom;
      s.fromName = n.smtpFromName;
      s.starttls = n.smtpStarttls == "required" ? web::SmtpSettings::StartTls::Required
                   : n.smtpStarttls == "never"  ? web::SmtpSettings::StartTls::Never
                                                : web::SmtpSettings::StartTls::Auto;
      s.user = n.smtpUser;
      s.password = n.smtpPassword;
      s.caFile = n.smtpCaFile;
      s.timeout = std::chrono::seconds(n.smtpTimeoutSeconds);
      return std::make_unique<web::SmtpNotifier>(s);
    }
    case Kind::Webhook: {
      web::WebhookSettings w;
      w.url = n.webhookUrl;
      w.token = n.webhookToken;
      w.caFile = n.webhookCaFile;
      w.timeout = std::chrono::milliseconds(n.webhookTimeoutMs);
      w.retries = n.webhookRetries;
      return std::make_unique<web::WebhookNotifier>(w, random);
    }
  }
  return nullptr;
}
}  // namespace

using Poco::Util::Option;

void ServerApp::defineOptions(Poco::Util::OptionSet& options) {
  ServerApplication::defineOptions(options);
  options.addOption(Option("config", "", "read configuration from FILE (INI)").argument("FILE").repeatable(false));
  options.addOption(Option("data", "", "data directory (store, keys, TLS); default ./var").argument("DIR").repeatable(false));
  options.addOption(Option("listen", "", "HOST:PORT to listen on; default 127.0.0.1:8443").argument("HOST:PORT").repeatable(false));
  options.addOption(Option("public-url", "", "base of every URL in metadata; default https://localhost:8443").argument("URL").repeatable(false));
  options.addOption(Option("check-config", "", "check the configuration, store and schemas, then exit"));
  options.addOption(Option("help", "h", "print this help"));
}

void ServerApp::handleOption(const std::string& name, const std::string& value) {
  ServerApplication::handleOption(name, value);
  if (name == "config") configFile_ = value;
  else if (name == "data") dataDir_ = value;
  else if (name == "listen") listen_ = value;
  else if (name == "public-url") publicUrl_ = value;
  else if (name == "check-config") checkOnly_ = true;
  else if (name == "help") {
    helpRequested_ = true;
    Poco::Util::HelpFormatter help(options());
    help.setCommand("propusk");
    help.setUsage("[--config FILE | --data DIR] [--listen HOST:PORT] [--public-url URL] [--check-config]");
    help.setHeader("Propusk SAML 2.0 identity provider. With no options: a development instance from ./var.");
    help.format(std::cout);
    stopOptionsProcessing();
  }
}

int ServerApp::main(const std::vector<std::string>& args) {
  if (helpRequested_) return EXIT_OK;
  Poco::AutoPtr<Poco::PatternFormatter> fmt(new Poco::PatternFormatter("%Y-%m-%dT%H:%M:%SZ %p propusk: %t"));
  Poco::AutoPtr<Poco::FormattingChannel> chan(new Poco::FormattingChannel(fmt, new Poco::ConsoleChannel(std::cerr)));
  Poco::Logger& log = Poco::Logger::create("propusk", chan, Poco::Message::PRIO_INFORMATION);
  if (!args.empty()) {
    std::cerr << "propusk: unexpected argument '" << args[0] << "' (see --help)\n";
    return EXIT_USAGE;
  }
  bool dev = !configFile_ && !dataDir_;
  if (dev && listen_) {
    // The development instance creates a demo account with a printed password and releases
    // every attribute to the example SP: never on a non-loopback address.
    config::Config probe;
    try {
      config::setListen(probe, *listen_);
    } catch (const std::exception& e) {
      std::cerr << "propusk: config: " << e.what() << "\n";
      return EXIT_CONFIG;
    }
    if (probe.listenHost != "127.0.0.1" && probe.listenHost != "::1" && probe.listenHost != "localhost") {
      std::cerr << "propusk: the development instance (no --data or --config) listens on loopback only; "
                   "give --data DIR or --config FILE to listen on "
                << probe.listenHost << "\n";
      return EXIT_USAGE;
    }
  }
  config::Config config;
  try {
    if (configFile_ && dataDir_) throw config::ConfigError("give either --config or --data, not both");
    if (configFile_) config = config::loadConfigFile(*configFile_);
    if (dataDir_) config.dataDir = *dataDir_;
    if (listen_) config::setListen(config, *listen_);
    if (publicUrl_) config::setPublicUrl(config, *publicUrl_);
    xml::SchemaSet::shared();
    crypto::initializeXmlsec();
  } catch (const std::exception& e) {
    std::cerr << "propusk: config: " << e.what() << "\n";
    return EXIT_CONFIG;
  }

  try {
    SystemClock clock;
    SystemRandom random;
    if (checkOnly_) {
      std::string storeState = "no store yet (created at start)";
      const auto where = config.storeLocation();
      if (where.engine == store::StoreLocation::Engine::Postgresql || std::filesystem::exists(where.sqliteFile)) {
        // Only looks: checking a configuration must not migrate the store (and a PostgreSQL
        // server that cannot be reached is an error here, with its reason).
        auto v = store::inspectStore(where);
        if (v.version > v.latest)
          throw store::StoreError("store schema version " + std::to_string(v.version) + " is newer than this build (" +
                                  std::to_string(v.latest) + ")");
        storeState = "store schema " + std::to_string(v.version) +
                     (v.version < v.latest ? " (" + std::to_string(v.latest - v.version) + " migrations run at start)" : "");
      }
      std::cout << "configuration OK: data " << config.dataDir.string() << ", listen " << config.listenHost << ":"
                << config.listenPort << ", entityID " << config.idpEntityId() << ", " << storeState << "\n";
      return EXIT_OK;
    }
    if (std::filesystem::create_directories(config.dataDir))  // an existing dir keeps its owner's mode
      std::filesystem::permissions(config.dataDir, std::filesystem::perms::owner_all, std::filesystem::perm_options::replace);
    const bool shared = config.storeEngine == store::StoreLocation::Engine::Postgresql;
    auto store = store::openStore(config.storeLocation(), clock);
    admin::KeySettings ks{config.keyAlgorithm, config.keyValidityDays, "Propusk IdP signing"};
    auto boot = admin::ensureInitialised(*store, ks, clock, random, "propusk");
    if (boot.createdKey) log.information("created signing key %s (%s)", boot.activeKey.id, boot.activeKey.algorithm);
    for (auto [name, value] : {std::pair{config::kServedPublicUrlSetting, config.publicUrl},
                               std::pair{config::kServedEntityIdSetting, config.idpEntityId()}})
      if (store->getSetting(name) != value) store->putSetting(name, value, {"propusk", "setting.change", name, "ok", "{}"});
    auto tls = ensureTlsCertificate(config, clock);
    if (tls.created) log.information("created self-signed TLS certificate %s", tls.cert.string());

    std::optional<DevSetup> devData;
    if (dev) {
      auto spDir = std::filesystem::path(PROPUSK_SOURCE_DIR) / "sp-metadata";
      devData = ensureDevData(*store, config, spDir, clock, random);
      for (auto& m : devData->messages) log.warning("%s", m);
    }

    Poco::Net::initializeSSL();
    // TLS 1.2 with AEAD ciphers and forward secrecy only (TLS 1.3 suites are AEAD anyway).
    Poco::Net::Context::Ptr ctx = new Poco::Net::Context(
        Poco::Net::Context::TLS_SERVER_USE, tls.key.string(), tls.cert.string(), "", Poco::Net::Context::VERIFY_NONE, 9,
        false, "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL:!eNULL@SECLEVEL=2");
    ctx->disableProtocols(Poco::Net::Context::PROTO_SSLV2 | Poco::Net::Context::PROTO_SSLV3 |
                          Poco::Net::Context::PROTO_TLSV1 | Poco::Net::Context::PROTO_TLSV1_1);
    ctx->enableExtendedCertificateVerification(false);
    Poco::Net::SocketAddress addr(config.listenHost, static_cast<Poco::UInt16>(config.listenPort));
    Poco::Net::SecureServerSocket socket(addr, 128, ctx);

    store::StoreSpDirectory spDirectory(*store, clock);
    // One instance per SQLite file: its replay cache lives in memory. On PostgreSQL every
    // instance shares one (docs/store.md), so a message replayed to another is refused there.
    store::MemoryReplayCache memoryReplay;
    store::SharedReplayCache sharedReplay(*store);
    saml::ReplayCache& replayCache = shared ? static_cast<saml::ReplayCache&>(sharedReplay) : memoryReplay;
    sso::SigningKeys signingKeys(*store, clock);
    sso::SessionPolicy sessionPolicy{config.sessionIdle, config.sessionAbsolute};
    sso::SessionManager sessions(*store, clock, random, sessionPolicy);
    sso::LockoutPolicy lockout;
    lockout.threshold = config.lockoutThreshold;
    sso::ThrottlePolicy throttlePolicy;
    throttlePolicy.threshold = config.throttleFailures;
    throttlePolicy.window = config.throttleWindow;
    sso::AddressThrottle throttle(*store, clock, throttlePolicy);
    // One Argon2id at a time per core; a few logins per slot may wait, the rest are told the
    // server is busy (auth/password_hasher.h).
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    auth::PasswordHasher hasher(config.argon2, cores, 4 * cores);
    sso::LoginService logins(*store, clock, random, hasher, lockout, &throttle);

    // Account security (docs/account-security.md): the factor key, the notifiers of each
    // channel and the outbox that delivers off the request threads, the second factors.
    auto factorKey = admin::openFactorKey(*store, config.factorKeyPath(), random, "propusk");
    config::NotifyConfig notifyConfig = config.notify;
    if (dev && notifyConfig.email == config::NotifyConfig::Kind::None && notifyConfig.sms == config::NotifyConfig::Kind::None)
      notifyConfig.email = notifyConfig.sms = config::NotifyConfig::Kind::File;  // codes readable in var/
    auto emailNotifier = makeNotifier(notifyConfig, notifyConfig.email, config.notifyFile(), clock, random);
    auto smsNotifier = notifyConfig.sms == notifyConfig.email
                           ? std::unique_ptr<notify::Notifier>()
                           : makeNotifier(notifyConfig, notifyConfig.sms, config.notifyFile(), clock, random);
    notify::Notifier* smsChannel = notifyConfig.sms == notifyConfig.email ? emailNotifier.get() : smsNotifier.get();
    notify::Outbox outbox(emailNotifier.get(), smsChannel, [&](const notify::Message& m, bool ok, const std::string& why) {
      store->appendAudit({"propusk", ok ? "notify.sent" : "notify.failed", notify::maskDestination(m.to),
                          ok ? "ok" : "error",
                          R"({"channel":)" + jsonString(notify::channelName(m.channel)) + R"(,"purpose":)" +
                              jsonString(m.purpose) + (ok ? std::string() : R"(,"reason":)" + jsonString(why)) + "}"});
      if (!ok) log.warning("notification to %s (%s) failed: %s", notify::maskDestination(m.to), m.purpose, why);
    });
    for (auto* n : {emailNotifier.get(), smsChannel})
      if (n) log.information("notifications: %s", n->describe());
    sso::SecondFactorSettings factorSettings;
    factorSettings.issuer = config.totpIssuer;
    factorSettings.codeLifetime = config.codeLifetime;
    factorSettings.codeAttempts = config.codeAttempts;
    factorSettings.codesPerAccount = factorSettings.codesPerDestination = config.codesPerWindow;
    sso::SecondFactors factors(*store, factorKey, clock, random, &outbox, factorSettings);
    sso::IssuerSettings issuerSettings;
    issuerSettings.idpEntityId = config.idpEntityId();
    issuerSettings.scope = Poco::URI(config.publicUrl).getHost();
    issuerSettings.clockSkew = config.clockSkew;
    issuerSettings.sessionAbsolute = sessionPolicy.absolute;
    sso::AssertionIssuer issuer(*store, signingKeys, clock, random, issuerSettings);
    web::SoapClient soapClient(config.backChannelPrivateNetworks);
    sso::LogoutSettings logoutSettings;
    logoutSettings.idpEntityId = config.idpEntityId();
    logoutSettings.sloUrl = config.publicUrl + "/saml/slo";
    logoutSettings.soapUrl = config.publicUrl + "/saml/soap";
    logoutSettings.clockSkew = config.clockSkew;
    logoutSettings.soapTimeout = config.backChannelTimeout;
    sso::LogoutService logoutService(*store, spDirectory, replayCache, signingKeys, clock, random, soapClient,
                                     logoutSettings);
    sso::UpstreamDirectory upstreams(*store, clock);
    sso::GatewaySettings gatewaySettings;
    gatewaySettings.spEntityId = config.publicUrl + "/saml/sp/metadata";
    gatewaySettings.acsUrl = config.publicUrl + "/saml/acs";
    gatewaySettings.sloUrl = config.publicUrl + "/saml/sp/slo";
    gatewaySettings.idpEntityId = config.idpEntityId();
    gatewaySettings.clockSkew = config.clockSkew;
    sso::Gateway gateway(*store, upstreams, signingKeys, replayCache, clock, random, gatewaySettings);
    web::SsoServices ssoServices{spDirectory, replayCache, sessions, logins, issuer, &logoutService, &gateway};
    ssoServices.factors = &factors;
    ssoServices.throttle = &throttle;
    ssoServices.hasher = &hasher;
    signingKeys.active();  // fail at start, not at the first login, if the key is unusable

    web::WebContext webCtx{config, *store, clock, random, log};
    webCtx.sso = &ssoServices;

    // Housekeeping off the request path: a WAL checkpoint every second (not inside some
    // request's commit), expired sessions purged every minute (they are also refused when
    // presented). jthread: stopped and joined on every way out of this scope.
    store->useBackgroundCheckpoints();
    std::jthread purger([&](std::stop_token stop) {
      std::mutex m;
      std::condition_variable_any wake;
      std::unique_lock lock(m);
      for (int tick = 1; !wake.wait_for(lock, stop, std::chrono::seconds(1), [] { return false; }); ++tick) {
        if (stop.stop_requested()) return;
        // Readiness follows the store: a probe every second, which also replaces connections
        // lost while the database was away before a request meets them (docs/store.md).
        try {
          store->ping();
          if (!webCtx.storeReachable.exchange(true)) log.warning("store reachable again: %s", store->describe());
        } catch (const std::exception& e) {
          if (webCtx.storeReachable.exchange(false)) log.error("store unreachable: %s", std::string(e.what()));
          continue;
        }
        try {
          store->checkpoint();
          if (tick % 60 == 0) {
            auto now = clock.now();
            store->purgeSessions(now - sessionPolicy.idle, now - sessionPolicy.absolute);
            store->purgeExpired(now);  // pending requests, logout flows, shared replay IDs
          }
        } catch (const std::exception& e) {
          log.error("store housekeeping failed: %s", std::string(e.what()));
        }
      }
    });
    auto* params = new Poco::Net::HTTPServerParams;
    // Poco's server does the TLS handshake and reads headers in a worker thread: idle or
    // slow connections hold a thread until the timeout. More threads and a short timeout
    // keep a handful of them from starving the server; a front proxy is the real answer
    // for a hostile network (README, Security notes).
    params->setMaxThreads(64);
    params->setMaxQueued(256);
    params->setTimeout(Poco::Timespan(5, 0));
    params->setKeepAlive(true);
    params->setKeepAliveTimeout(Poco::Timespan(5, 0));
    params->setServerName("propusk");
    params->setSoftwareVersion("");  // no version banner
    Poco::Net::HTTPServer server(new web::Router(webCtx), socket, params);
    server.start();
    webCtx.ready = true;

    std::string base = config.publicUrl;
    std::cout << "Propusk IdP is running (listening on " << socket.address().toString() << ")\n"
              << "  metadata:  " << base << "/saml/metadata\n"
              << "  SSO:       " << base << "/saml/sso\n"
              << "  login:     " << base << "/login\n"
              << "  health:    " << base << "/healthz  " << base << "/readyz\n"
              << "  entityID:  " << config.idpEntityId() << "\n"
              << "  data:      " << config.dataDir.string() << "\n"
              << "  store:     " << store->describe() << "\n";
    if (devData) {
      std::cout << "  demo user: " << devData->demoLogin << "  password: "
                << (devData->demoPassword.empty() ? "see " + devData->demoPasswordFile.string() : devData->demoPassword)
                << "\n";
      for (auto& sp : store->listServiceProviders()) std::cout << "  SP:        " << sp.entityId << "\n";
    }
    std::cout << std::flush;
    waitForTerminationRequest();
    log.information("stopping: finishing requests in progress");
    webCtx.ready = false;
    server.stopAll(false);
    purger.request_stop();
    Poco::Net::uninitializeSSL();
    return EXIT_OK;
  } catch (const std::exception& e) {
    std::cerr << "propusk: " << e.what() << "\n";
    return EXIT_SOFTWARE;
  }
}

}  // namespace propusk::app
