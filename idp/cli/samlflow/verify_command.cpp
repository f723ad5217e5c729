// verify: a Response, Assertion or metadata document checked like a strict SP would,
// naming the first check that failed.
#include <sstream>

#include "idp/cli/samlflow/env.h"
#include "idp/cli/samlflow/idp_source.h"
#include "idp/cli/samlflow/message_decoder.h"
#include "idp/cli/samlflow/report.h"
#include "idp/cli/samlflow/sp_identity.h"
#include "idp/crypto/keys.h"
#include "idp/crypto/xml_signature.h"
#include "idp/saml/messages/idp_metadata.h"
#include "idp/saml/messages/sp_metadata.h"
#include "idp/saml/sp/response_verifier.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::cli::samlflow {

namespace {

struct MetadataCheckLine {
  std::string check, result, detail;
};

int verifyMetadata(Env& env, const std::string& xml, std::span<X509* const> certs) {
  std::vector<MetadataCheckLine> lines;
  int rc = kExitOk;
  auto fail = [&](std::string check, std::string detail) {
    lines.push_back({std::move(check), "failed", std::move(detail)});
    rc = kExitVerify;
  };
  xml::ParseLimits limits;
  limits.maxBytes = 1 << 20;
  auto doc = xml::parseSecure(xml, limits);
  if (!doc) {
    fail("parse", doc.error().detail);
  } else {
    xmlNode* root = xmlDocGetRootElement(doc->get());
    lines.push_back({"parse", "ok", std::string("md:") + reinterpret_cast<const char*>(root->name)});
    if (!crypto::signatureChild(root)) {
      fail("signature", "the metadata is not signed");
    } else {
      auto v = crypto::verifyEnveloped(root, certs);
      if (!v) fail("signature", v.error().detail);
      else lines.push_back({"signature", "ok", "signed by " + crypto::describeCertificate(certs[v->trustedIndex]).subject});
    }
    if (rc == kExitOk) {
      saml::IdpMetadataCheck idpCheck;
      idpCheck.now = env.clock.now();
      auto idp = saml::parseIdpMetadata(xml, idpCheck);
      if (idp) {
        lines.push_back({"metadata", "ok", "IdP " + idp->entityId + ", " + std::to_string(idp->singleSignOnServices.size()) +
                                               " SSO endpoint(s), " + std::to_string(idp->signingCertificates.size()) +
                                               " signing certificate(s)"});
      } else {
        saml::MetadataCheck spCheck;
        spCheck.now = env.clock.now();
        auto sp = saml::parseSpMetadata(xml, spCheck);
        if (sp) lines.push_back({"metadata", "ok", "SP " + sp->entityId + ", " + std::to_string(sp->assertionConsumerServices.size()) + " ACS"});
        else fail("metadata", "neither IdP metadata (" + idp.error().detail + ") nor SP metadata (" + sp.error().detail + ")");
      }
    }
  }
  if (env.json) {
    auto o = jsonObject();
    o->set("kind", "metadata");
    o->set("result", rc == kExitOk ? "verified" : "failed");
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (auto& l : lines) {
      auto j = jsonObject();
      j->set("check", l.check);
      j->set("result", l.result);
      j->set("detail", l.detail);
      arr->add(j);
    }
    o->set("checks", arr);
    env.printJson(o);
  } else {
    for (auto& l : lines) {
      std::string r = l.result == "failed" ? "FAILED" : l.result;
      env.io.out << r << std::string(8 - r.size(), ' ') << l.check << std::string(16 - l.check.size(), ' ') << l.detail << "\n";
    }
  }
  if (rc != kExitOk) env.error(lines.back().check + ": " + lines.back().detail);
  return rc;
}

}  // namespace

int cmdVerify(Env& env, const ParsedArgs& args) {
  std::string input = readInput(env, args.positional[0], "input");
  auto message = decodeMessage(input);
  if (!message) throw CliError("input: " + message.error().detail);

  std::vector<crypto::X509Ptr> owned;
  std::vector<X509*> certs;
  if (auto list = args.get("cert")) {
    std::stringstream ss(*list);
    std::string file;
    while (std::getline(ss, file, ',')) {
      if (file.empty()) continue;
      auto c = crypto::loadCertificateFile(file);
      if (!c) throw CliError("cert: " + file + ": " + c.error().detail);
      certs.push_back(c->get());
      owned.push_back(std::move(*c));
    }
  }
  std::optional<IdpSource> idp;
  if (auto m = args.get("metadata")) {
    idp = loadIdpFrom(env, *m, args, httpOptions(args));
    for (auto& c : idp->metadata.signingCertificates) certs.push_back(c.get());
  }
  if (certs.empty()) throw UsageError("verify: give --cert CERT or --metadata URL|FILE (the keys to trust)");

  // Metadata documents: the signature and the content.
  {
    xml::ParseLimits limits;
    limits.maxBytes = 1 << 20;
    if (auto doc = xml::parseSecure(message->xml, limits)) {
      xmlNode* root = xmlDocGetRootElement(doc->get());
      if (xml::isElement(root, xml::ns::kMd, "EntityDescriptor") || xml::isElement(root, xml::ns::kMd, "EntitiesDescriptor"))
        return verifyMetadata(env, message->xml, certs);
    }
  }

  saml::sp::ResponseExpectations expect;
  expect.idpCertificates = certs;
  if (auto e = args.get("idp-entity-id")) expect.idpEntityId = *e;
  else if (idp) expect.idpEntityId = idp->metadata.entityId;
  if (auto spArg = args.get("sp")) {
    SpIdentity sp = loadSpIdentity(env, *spArg, std::nullopt);
    expect.spEntityId = sp.metadata.entityId;
    if (auto* acs = sp.postAcs()) expect.acsUrl = acs->location;
  }
  if (auto a = args.get("audience")) expect.spEntityId = *a;
  if (auto a = args.get("acs")) expect.acsUrl = *a;
  expect.requestId = args.get("request-id");
  expect.now = env.clock.now();
  if (auto n = args.get("now")) {
    auto t = parseXsDateTime(*n);
    if (!t) throw UsageError("now: an xs:dateTime such as 2026-01-10T10:00:00Z");
    expect.now = *t;
  }
  expect.checkTime = !args.has("no-time");
  if (auto s = args.get("clock-skew")) {
    try {
      expect.clockSkew = std::chrono::seconds(std::stoi(*s));
    } catch (const std::exception&) {
      throw UsageError("clock-skew: seconds");
    }
  }
  expect.allowSha1 = args.has("allow-sha1");

  auto v = saml::sp::verifyResponse(message->xml, expect);
  if (env.json) {
    auto o = jsonObject();
    o->set("kind", v.isResponse ? "response" : "assertion");
    o->set("result", v.ok() ? "verified" : v.statusNotSuccess() ? "status" : "failed");
    if (v.failedStep) {
      o->set("failed_check", std::string(*v.failedStep));
      o->set("detail", v.failure);
    }
    if (!v.statusCodes.empty()) {
      Poco::JSON::Array::Ptr codes = new Poco::JSON::Array;
      for (auto& c : v.statusCodes) codes->add(c);
      o->set("status_codes", codes);
    }
    o->set("checks", checksJson(v));
    if (v.ok()) addSubjectJson(o, v, message->xml);
    env.printJson(o);
  } else {
    printChecks(env.io.out, v);
    if (v.ok()) printSubject(env.io.out, v, message->xml);
  }
  if (v.ok()) return kExitOk;
  env.error(failureLine(v));
  return v.statusNotSuccess() ? kExitStatus : kExitVerify;
}

}  // namespace propusk::cli::samlflow
