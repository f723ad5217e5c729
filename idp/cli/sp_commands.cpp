#include <Poco/JSON/Array.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "idp/admin/sp_registry.h"
#include "idp/cli/command_helpers.h"
#include "idp/cli/commands.h"
#include "idp/crypto/keys.h"
#include "idp/policy/attribute_catalog.h"
#include "idp/saml/messages/sp_metadata.h"

namespace propusk::cli {

namespace {

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  if (s == "none" || s.empty()) return out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(0, 1);
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string upstreamsText(const std::vector<std::string>& upstreams) {
  if (upstreams.empty()) return "none";
  if (upstreams == std::vector<std::string>{"*"}) return "all registered upstreams";
  std::string out;
  for (auto& u : upstreams) out += (out.empty() ? "" : ", ") + u;
  return out;
}

Poco::JSON::Object::Ptr spJson(const store::ServiceProvider& sp, bool withDetails) {
  auto o = newJsonObject();
  o->set("entity_id", sp.entityId);
  o->set("release", toJsonArray(sp.release));
  o->set("min_status", std::string(policy::accountStatusName(sp.minStatus)));
  o->set("allow_sha1", sp.allowSha1);
  o->set("sign", std::string(store::signModeName(sp.signMode)));
  o->set("upstreams", toJsonArray(sp.upstreams));  // ["*"]: every registered upstream
  o->set("local_login", sp.localLogin);
  o->set("require_mfa", sp.requireMfa);
  o->set("allow_ip", toJsonArray(sp.allowIp));
  o->set("metadata_signature_verified", sp.metadataSignatureVerified);
  if (sp.validUntil) o->set("valid_until", formatXsDateTime(*sp.validUntil));
  o->set("source", sp.source);
  o->set("updated", formatXsDateTime(sp.updatedAt));
  if (!withDetails) return o;
  saml::MetadataCheck check;  // registered metadata: re-read without the expiry check
  check.now = TimePoint{};
  if (auto md = saml::parseSpMetadata(sp.metadataXml, check)) {
    Poco::JSON::Array::Ptr acs = new Poco::JSON::Array;
    for (auto& e : md->assertionConsumerServices) {
      auto j = newJsonObject();
      j->set("binding", e.binding);
      j->set("location", e.location);
      if (e.index) j->set("index", *e.index);
      if (e.isDefault) j->set("is_default", *e.isDefault);
      acs->add(j);
    }
    o->set("assertion_consumer_services", acs);
    Poco::JSON::Array::Ptr slo = new Poco::JSON::Array;
    for (auto& e : md->singleLogoutServices) {
      auto j = newJsonObject();
      j->set("binding", e.binding);
      j->set("location", e.location);
      slo->add(j);
    }
    o->set("single_logout_services", slo);
    o->set("authn_requests_signed", md->authnRequestsSigned);
    o->set("want_assertions_signed", md->wantAssertionsSigned);
    o->set("name_id_formats", toJsonArray(md->nameIdFormats));
    std::vector<std::string> fps;
    for (auto& c : md->signingCertificates) fps.push_back(crypto::certificateSha256Fingerprint(c.get()));
    o->set("signing_certificate_sha256", toJsonArray(fps));
  }
  return o;
}

}  // namespace

int cmdSpAdd(Context& ctx, const ParsedArgs& args) {
  const std::string& source = args.positional[0];
  // Check the policy words before touching anything, so a typo registers nothing.
  admin::SpPolicyChange change;
  if (auto r = args.get("release")) change.release = splitList(*r);
  if (auto s = args.get("min-status")) change.minStatus = *s;
  if (change.minStatus && !policy::parseAccountStatus(*change.minStatus))
    throw CliError("min-status: must be simplified, standard or confirmed");
  if (change.release)
    for (auto& n : *change.release)
      if (!policy::findAttribute(n)) throw CliError("release: unknown attribute '" + n + "'");

  std::vector<crypto::X509Ptr> trust;
  if (auto t = args.get("trust")) {
    auto cert = crypto::loadCertificateFile(*t);
    if (!cert) throw CliError("trust: " + cert.error().detail);
    trust.push_back(std::move(*cert));
  }
  std::vector<X509*> trustView;
  for (auto& c : trust) trustView.push_back(c.get());
  std::string xml = readMetadataSource(source);
  if (source.starts_with("http://") && trust.empty())
    ctx.io.err << "propuskctl: warning: metadata fetched over plain http:// without --trust; anyone on the path "
                  "could have changed it\n";
  auto& store = ctx.store();
  auto reg = admin::registerSp(store, xml, source, trustView, args.has("replace"), ctx.clock, ctx.actor);
  if (!reg) throw CliError(reg.error().detail);
  store::ServiceProvider sp = reg->sp;
  if (change.release || change.minStatus) {
    auto updated = admin::updateSpPolicy(store, sp.entityId, change, ctx.clock, ctx.actor);
    if (!updated) throw CliError(updated.error().detail);
    sp = *updated;
  }
  if (ctx.json) {
    auto o = spJson(sp, true);
    o->set("replaced", reg->replaced);
    ctx.printJson(o);
  } else {
    ctx.io.out << (reg->replaced ? "updated " : "registered ") << sp.entityId << "\n";
    if (reg->signatureChecked) ctx.io.out << "metadata signature verified with the trust anchor\n";
    if (sp.release.empty())
      ctx.io.out << "releases no attributes yet: 'propuskctl sp set " << sp.entityId << " --release ...'\n";
  }
  if (reg->signedButUnchecked)
    warnSignatureUnchecked(ctx.io.err);
  return 0;
}

int cmdSpList(Context& ctx, const ParsedArgs&) {
  auto sps = ctx.store().listServiceProviders();
  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (auto& sp : sps) arr->add(spJson(sp, false));
    ctx.printJson(arr);
  } else {
    for (auto& sp : sps) {
      ctx.io.out << sp.entityId << "  min-status " << policy::accountStatusName(sp.minStatus) << "  release ";
      std::string rel;
      for (auto& r : sp.release) rel += (rel.empty() ? "" : ",") + r;
      ctx.io.out << (rel.empty() ? "none" : rel) << "\n";
    }
  }
  return 0;
}

int cmdSpShow(Context& ctx, const ParsedArgs& args) {
  auto sp = ctx.store().findServiceProvider(args.positional[0]);
  if (!sp) throw CliError("entityID: no registered SP '" + args.positional[0] + "'");
  if (args.has("metadata")) {
    ctx.io.out << sp->metadataXml;
    if (!sp->metadataXml.ends_with("\n")) ctx.io.out << "\n";
    return 0;
  }
  auto o = spJson(*sp, true);
  auto refusals = refusalsJson(ctx.store(), sp->entityId);
  o->set("last_refusals", refusals);
  if (ctx.json) {
    ctx.printJson(o);
    return 0;
  }
  auto& out = ctx.io.out;
  out << "entityID:           " << sp->entityId << "\n"
      << "registered from:    " << sp->source << "\n"
      << "updated:            " << formatXsDateTime(sp->updatedAt) << "\n"
      << "valid until:        " << (sp->validUntil ? formatXsDateTime(*sp->validUntil) : "(not set)") << "\n"
      << "metadata signature: " << (sp->metadataSignatureVerified ? "verified" : "not verified") << "\n"
      << "min status:         " << policy::accountStatusName(sp->minStatus) << "\n"
      << "allow SHA-1:        " << (sp->allowSha1 ? "yes" : "no") << "\n"
      << "sign:               " << store::signModeName(sp->signMode) << "\n"
      << "release:            ";
  std::string rel;
  for (auto& r : sp->release) rel += (rel.empty() ? "" : ", ") + r;
  out << (rel.empty() ? "none" : rel) << "\n";
  out << "upstreams:          " << upstreamsText(sp->upstreams) << "\n"
      << "local login:        " << (sp->localLogin ? "yes" : "no") << "\n"
      << "require MFA:        " << (sp->requireMfa ? "yes" : "no") << "\n";
  std::string ranges;
  for (auto& r : sp->allowIp) ranges += (ranges.empty() ? "" : ", ") + r;
  out << "allowed addresses:  " << (ranges.empty() ? "any" : ranges) << "\n";
  if (auto acs = o->getArray("assertion_consumer_services")) {
    for (size_t i = 0; i < acs->size(); ++i) {
      auto e = acs->getObject(static_cast<unsigned>(i));
      out << "ACS:                " << e->getValue<std::string>("location") << "  ["
          << e->getValue<std::string>("binding") << (e->has("index") ? ", index " + e->get("index").toString() : "")
          << (e->optValue<bool>("is_default", false) ? ", default" : "") << "]\n";
    }
  }
  if (auto slo = o->getArray("single_logout_services"))
    for (size_t i = 0; i < slo->size(); ++i) {
      auto e = slo->getObject(static_cast<unsigned>(i));
      out << "SLO:                " << e->getValue<std::string>("location") << "  [" << e->getValue<std::string>("binding") << "]\n";
    }
  if (auto fps = o->getArray("signing_certificate_sha256"))
    for (size_t i = 0; i < fps->size(); ++i) out << "signing cert:       sha256 " << fps->getElement<std::string>(static_cast<unsigned>(i)) << "\n";
  printRefusals(out, refusals, "SP");
  return 0;
}

int cmdSpRemove(Context& ctx, const ParsedArgs& args) {
  const auto& id = args.positional[0];
  if (!ctx.store().removeServiceProvider(id, {ctx.actor, "sp.remove", id, "ok", "{}"}))
    throw CliError("entityID: no registered SP '" + id + "'");
  if (ctx.json) {
    auto o = newJsonObject();
    o->set("removed", id);
    ctx.printJson(o);
  } else {
    ctx.io.out << "removed " << id << "\n";
  }
  return 0;
}

int cmdSpSet(Context& ctx, const ParsedArgs& args) {
  if (args.has("allow-sha1") && args.has("deny-sha1")) throw UsageError("sp set: give --allow-sha1 or --deny-sha1, not both");
  admin::SpPolicyChange change;
  if (auto r = args.get("release")) change.release = splitList(*r);
  if (auto s = args.get("min-status")) change.minStatus = *s;
  if (args.has("allow-sha1")) change.allowSha1 = true;
  if (args.has("deny-sha1")) change.allowSha1 = false;
  if (auto s = args.get("sign")) change.signMode = *s;
  if (auto u = args.get("upstreams")) change.upstreams = splitList(*u);
  if (auto l = args.get("local-login")) change.localLogin = parseYesNo(*l, "local-login");
  if (auto m = args.get("require-mfa")) change.requireMfa = parseYesNo(*m, "require-mfa");
  if (auto a = args.get("allow-ip")) change.allowIp = splitList(*a);
  auto sp = admin::updateSpPolicy(ctx.store(), args.positional[0], change, ctx.clock, ctx.actor);
  if (!sp) throw CliError(sp.error().detail);
  if (ctx.json) ctx.printJson(spJson(*sp, false));
  else ctx.io.out << "updated policy of " << sp->entityId << "\n";
  return 0;
}

}  // namespace propusk::cli
