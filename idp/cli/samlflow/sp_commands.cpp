// sp-keys and sp-metadata: an SP identity to register at an IdP.
#include <filesystem>
#include <sstream>

#include "idp/cli/samlflow/env.h"
#include "idp/cli/samlflow/message_decoder.h"
#include "idp/cli/samlflow/request_builder.h"
#include "idp/cli/samlflow/sp_identity.h"
#include "idp/crypto/keys.h"
#include "idp/saml/build/sp_metadata.h"

namespace propusk::cli::samlflow {

namespace fs = std::filesystem;

int cmdSpKeys(Env& env, const ParsedArgs& args) {
  auto dir = args.get("out");
  if (!dir) throw UsageError("sp-keys: --out DIR is required");
  auto alg = crypto::parseKeyAlgorithm(args.get("algorithm").value_or("rsa2048"));
  if (!alg) throw UsageError("algorithm: rsa2048, rsa3072 or ec-p256");
  int days = 365;
  if (auto d = args.get("days")) {
    try {
      days = std::stoi(*d);
    } catch (const std::exception&) {
      days = 0;
    }
    if (days < 1 || days > 36500) throw UsageError("days: 1..36500");
  }
  std::string cn = args.get("cn").value_or("samlflow-sp");
  fs::path keyFile = fs::path(*dir) / kSpKeyFile, certFile = fs::path(*dir) / kSpCertFile;
  std::error_code ec;
  if (!args.has("force") && (fs::exists(keyFile, ec) || fs::exists(certFile, ec)))
    throw CliError("out: " + *dir + " already holds an SP key; give --force to replace it");
  fs::create_directories(*dir, ec);
  if (ec) throw CliError("out: cannot create " + *dir + ": " + ec.message());

  auto kp = crypto::generateKeyPair(*alg, cn, days, env.clock);
  writeOutput(keyFile.string(), crypto::privateKeyPem(kp.key.get()), "out", true);
  writeOutput(certFile.string(), crypto::certificatePem(kp.cert.get()), "out");
  auto info = crypto::describeCertificate(kp.cert.get());
  std::string fp = crypto::certificateSha256Fingerprint(kp.cert.get());
  if (env.json) {
    auto o = jsonObject();
    o->set("key", keyFile.string());
    o->set("certificate", certFile.string());
    o->set("algorithm", std::string(crypto::keyAlgorithmName(*alg)));
    o->set("subject", info.subject);
    o->set("not_after", formatXsDateTime(info.notAfter));
    o->set("sha256", fp);
    env.printJson(o);
  } else {
    env.io.out << "key:         " << keyFile.string() << " (" << info.keyDescription << ", mode 0600)\n"
               << "certificate: " << certFile.string() << " (" << info.subject << ", until "
               << formatXsDateTime(info.notAfter) << ")\n"
               << "sha256:      " << fp << "\n"
               << "next: samlflow sp-metadata --sp " << *dir << " --entity-id URI --acs URL\n";
  }
  return kExitOk;
}

int cmdSpMetadata(Env& env, const ParsedArgs& args) {
  auto entityId = args.get("entity-id");
  auto acs = args.get("acs");
  if (!entityId) throw UsageError("sp-metadata: --entity-id is required");
  if (!acs) throw UsageError("sp-metadata: --acs URL is required");
  auto dir = args.get("sp");
  if (!dir && !args.get("out")) throw UsageError("sp-metadata: give --sp DIR or --out FILE");
  saml::SpMetadataInput in;
  in.entityId = *entityId;
  in.acsUrl = *acs;
  in.sloUrl = args.get("slo");
  in.displayName = args.get("name");
  crypto::X509Ptr cert;
  std::error_code ec;
  if (dir && fs::exists(fs::path(*dir) / kSpCertFile, ec)) {
    auto c = crypto::loadCertificateFile((fs::path(*dir) / kSpCertFile).string());
    if (!c) throw CliError("sp: " + c.error().detail);
    cert = std::move(*c);
    in.certificate = cert.get();
  } else if (dir && !fs::is_directory(*dir, ec)) {
    throw CliError("sp: " + *dir + " is not a directory (make one with 'samlflow sp-keys --out " + *dir + "')");
  }
  if (auto f = args.get("nameid-format")) {
    std::stringstream ss(*f);
    std::string item;
    while (std::getline(ss, item, ','))
      if (!item.empty()) in.nameIdFormats.push_back(nameIdFormatUri(item));
  } else {
    in.nameIdFormats = {nameIdFormatUri("persistent"), nameIdFormatUri("transient")};
  }
  auto xml = saml::buildSpMetadata(in);
  if (!xml) throw CliError(xml.error().detail);
  // What we write must be what an IdP accepts: the same checks propuskctl runs.
  saml::MetadataCheck check;
  check.now = env.clock.now();
  if (auto md = saml::parseSpMetadata(*xml, check); !md) throw CliError("sp-metadata: " + md.error().detail);
  // Unsigned, so indenting it for the operator who reads it changes nothing that matters.
  if (auto pretty = prettyXml(*xml)) *xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + *pretty;

  std::string out = args.get("out").value_or(dir ? (fs::path(*dir) / kSpMetadataFile).string() : "-");
  if (out == "-") {
    if (env.json) {
      auto o = jsonObject();
      o->set("entity_id", *entityId);
      o->set("metadata", *xml);
      env.printJson(o);
    } else {
      env.io.out << *xml;
    }
    return kExitOk;
  }
  writeOutput(out, *xml, "out");
  if (env.json) {
    auto o = jsonObject();
    o->set("entity_id", *entityId);
    o->set("file", out);
    o->set("acs", *acs);
    o->set("signs_requests", cert != nullptr);
    env.printJson(o);
  } else {
    env.io.out << "wrote " << out << " (entityID " << *entityId << ", ACS " << *acs
               << (cert ? ", requests signed" : ", requests unsigned: no sp-cert.pem") << ")\n"
               << "register it at the IdP, e.g.: propuskctl sp add " << out << "\n";
  }
  return kExitOk;
}

}  // namespace propusk::cli::samlflow
