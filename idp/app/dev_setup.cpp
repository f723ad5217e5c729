#include "idp/app/dev_setup.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "idp/admin/sp_registry.h"
#include "idp/admin/user_admin.h"
#include "idp/crypto/tls_cert.h"
#include "idp/policy/attribute_catalog.h"

namespace propusk::app {

namespace {

void writePrivateFile(const std::filesystem::path& p, const std::string& data) {
  // O_EXCL | O_NOFOLLOW: never write through a planted symlink or over an existing file.
  int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot write " + p.string());
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + p.string());
}

std::string hostOf(const std::string& url) {
  auto start = url.find("://");
  std::string rest = start == std::string::npos ? url : url.substr(start + 3);
  rest = rest.substr(0, rest.find_first_of("/?"));
  if (rest.starts_with("[")) return rest.substr(1, rest.find(']') - 1);
  return rest.substr(0, rest.find(':'));
}

bool isIpLiteral(const std::string& h) {
  return !h.empty() && (h.find(':') != std::string::npos || h.find_first_not_of("0123456789.") == std::string::npos);
}

}  // namespace

TlsFiles ensureTlsCertificate(const config::Config& config, const Clock& clock) {
  TlsFiles f{config.dataDir / "tls" / "server.crt", config.dataDir / "tls" / "server.key", false};
  bool haveCert = std::filesystem::exists(f.cert), haveKey = std::filesystem::exists(f.key);
  if (haveCert && haveKey) return f;
  if (haveCert || haveKey)  // half a pair is an operator's file: do not overwrite it
    throw std::runtime_error("TLS: " + (haveCert ? f.key : f.cert).string() + " is missing (" +
                             (haveCert ? f.cert : f.key).string() + " exists); restore it or remove both");
  std::filesystem::create_directories(f.cert.parent_path());
  std::vector<std::string> dns{"localhost"}, ips{"127.0.0.1", "::1"};
  std::string host = hostOf(config.publicUrl);
  if (isIpLiteral(host)) {
    if (std::find(ips.begin(), ips.end(), host) == ips.end()) ips.push_back(host);
  } else if (host != "localhost" && !host.empty()) {
    dns.insert(dns.begin(), host);
  }
  auto kp = crypto::generateTlsCertificate(dns, ips, 825, clock);
  writePrivateFile(f.key, crypto::privateKeyPem(kp.key.get()));
  std::ofstream(f.cert) << crypto::certificatePem(kp.cert.get());
  f.created = true;
  return f;
}

DevSetup ensureDevData(store::Store& store, const config::Config& config, const std::filesystem::path& spMetadataDir,
                       const Clock& clock, Random& random) {
  DevSetup out;
  out.demoLogin = "demo";
  out.demoPasswordFile = config.dataDir / "demo-password";
  if (!store.findUser(out.demoLogin)) {
    // Random, never a fixed well-known password, even on a development instance.
    std::string password = "Pk7-" + random.token(12);  // all four character classes
    admin::UserAdminEnv env{store, clock, random, config.passwordPolicy, config.argon2, "dev-setup"};
    admin::NewUser u;
    u.login = out.demoLogin;
    u.surname = "Иванов";
    u.givenName = "Иван";
    u.middleName = "Иванович";
    u.inn = "500100732259";
    u.snils = "112-233-445 95";
    u.email = "demo@example.ru";
    u.phone = "+7 912 345-67-89";
    u.status = "confirmed";
    u.password = password;
    auto r = admin::addUser(env, u);
    if (!r) throw std::runtime_error("demo user: " + r.error().detail);
    writePrivateFile(out.demoPasswordFile, password + "\n");
    out.demoPassword = password;
  }
  std::error_code ec;
  if (!std::filesystem::is_directory(spMetadataDir, ec)) return out;
  std::vector<std::filesystem::path> files;
  for (auto& e : std::filesystem::directory_iterator(spMetadataDir, ec))
    if (e.path().extension() == ".xml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    auto reg = admin::registerSp(store, ss.str(), file.string(), {}, false, clock, "dev-setup");
    if (!reg) {
      if (reg.error().detail.find("already registered") == std::string::npos)
        out.messages.push_back("sp-metadata: " + file.filename().string() + " not registered: " + reg.error().detail);
      continue;
    }
    admin::SpPolicyChange all;
    all.release.emplace();
    for (auto& a : policy::attributeCatalog()) all.release->emplace_back(a.friendlyName);
    admin::updateSpPolicy(store, reg->sp.entityId, all, clock, "dev-setup");
    out.registeredSps.push_back(reg->sp.entityId);
  }
  return out;
}

}  // namespace propusk::app
