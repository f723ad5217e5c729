// propuskctl upstream add|list|show|set|remove: the gateway's upstream identity providers.
#include <Poco/JSON/Array.h>

#include <algorithm>

#include "idp/admin/upstream_registry.h"
#include "idp/cli/command_helpers.h"
#include "idp/cli/commands.h"
#include "idp/crypto/keys.h"
#include "idp/identity/attribute_map.h"
#include "idp/saml/messages/idp_metadata.h"

namespace propusk::cli {

namespace {

std::string_view transformName(identity::ValueTransform t) {
  switch (t) {
    case identity::ValueTransform::Trim: return "trim";
    case identity::ValueTransform::Digits: return "digits";
    case identity::ValueTransform::Lower: return "lower";
    case identity::ValueTransform::Upper: return "upper";
  }
  return "trim";
}

Poco::JSON::Array::Ptr endpointsJson(const std::vector<saml::Endpoint>& endpoints) {
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
  for (auto& e : endpoints) {
    auto j = newJsonObject();
    j->set("binding", e.binding);
    j->set("location", e.location);
    if (!e.responseLocation.empty()) j->set("response_location", e.responseLocation);
    arr->add(j);
  }
  return arr;
}

Poco::JSON::Object::Ptr upstreamJson(const store::Upstream& u) {
  auto o = newJsonObject();
  o->set("name", u.name);
  o->set("entity_id", u.entityId);
  o->set("display_name", u.displayName);
  o->set("level", std::string(policy::accountStatusName(u.level)));
  o->set("link_by", std::string(store::linkKeyName(u.linkBy)));
  o->set("allow_sha1", u.allowSha1);
  o->set("metadata_signature_verified", u.metadataSignatureVerified);
  if (u.validUntil) o->set("valid_until", formatXsDateTime(*u.validUntil));
  o->set("source", u.source);
  o->set("created", formatXsDateTime(u.createdAt));
  o->set("updated", formatXsDateTime(u.updatedAt));
  return o;
}

// What `upstream show` adds: the metadata read again (endpoints, certificates) and the map.
void addDetails(Poco::JSON::Object::Ptr o, const store::Upstream& u) {
  saml::IdpMetadataCheck check;  // registered metadata: re-read without the expiry check
  check.now = TimePoint{};
  check.entityId = u.entityId;
  if (auto md = saml::parseIdpMetadata(u.metadataXml, check)) {
    o->set("single_sign_on_services", endpointsJson(md->singleSignOnServices));
    o->set("single_logout_services", endpointsJson(md->singleLogoutServices));
    o->set("want_authn_requests_signed", md->wantAuthnRequestsSigned);
    Poco::JSON::Array::Ptr certs = new Poco::JSON::Array;
    for (auto& c : md->signingCertificates) {
      auto info = crypto::describeCertificate(c.get());
      auto j = newJsonObject();
      j->set("subject", info.subject);
      j->set("not_after", formatXsDateTime(info.notAfter));
      j->set("key", info.keyDescription);
      j->set("sha256", crypto::certificateSha256Fingerprint(c.get()));
      certs->add(j);
    }
    o->set("signing_certificates", certs);
  } else {
    o->set("metadata_error", md.error().detail);
  }
  Poco::JSON::Array::Ptr map = new Poco::JSON::Array;
  if (auto m = identity::parseAttributeMap(u.mapText)) {
    for (auto& line : m->mappings) {
      auto j = newJsonObject();
      j->set("line", line.line);
      j->set("upstream", line.upstreamName);
      j->set("target", line.target);
      std::vector<std::string> ts;
      for (auto t : line.transforms) ts.emplace_back(transformName(t));
      j->set("transforms", toJsonArray(ts));
      map->add(j);
    }
  }
  o->set("map", map);
}

std::string mapLineText(const Poco::JSON::Object::Ptr& m) {
  std::string s = m->getValue<std::string>("upstream") + " = " + m->getValue<std::string>("target");
  auto ts = m->getArray("transforms");
  for (size_t i = 0; i < ts->size(); ++i) s += " | " + ts->getElement<std::string>(static_cast<unsigned>(i));
  return s;
}

// Names are case-sensitive in the store; what an operator types is checked like at `add`.
std::string checkedName(const std::string& name) {
  if (auto ok = admin::checkUpstreamName(name); !ok) throw CliError(ok.error().detail);
  return name;
}

store::Upstream findOrFail(Context& ctx, const std::string& name) {
  auto u = ctx.store().findUpstream(checkedName(name));
  if (!u) throw CliError("name: no registered upstream '" + name + "' (see 'propuskctl upstream list')");
  return *u;
}

}  // namespace

int cmdUpstreamAdd(Context& ctx, const ParsedArgs& args) {
  const std::string& source = args.positional[0];
  auto required = [&](const char* name, const char* value) {
    auto v = args.get(name);
    if (!v) throw CliError(std::string(name) + ": required (--" + name + " " + value + ")");
    return *v;
  };
  const std::string name = required("name", "NAME");
  const std::string mapFile = required("map", "FILE");
  const std::string level = required("level", "simplified|standard|confirmed");
  const std::string linkBy = required("link-by", "snils|inn|email|none");
  checkedName(name);  // before anything is read or fetched
  std::vector<crypto::X509Ptr> trust;
  if (auto t = args.get("trust")) {
    auto cert = crypto::loadCertificateFile(*t);
    if (!cert) throw CliError("trust: " + cert.error().detail);
    trust.push_back(std::move(*cert));
  }
  std::vector<X509*> trustView;
  for (auto& c : trust) trustView.push_back(c.get());
  const std::string mapText = readSmallFile(mapFile, "map");
  const std::string xml = readMetadataSource(source);
  if (source.starts_with("http://") && trust.empty())
    ctx.io.err << "propuskctl: warning: metadata fetched over plain http:// without --trust; anyone on the path "
                  "could have changed it\n";
  auto reg = admin::registerUpstream(ctx.store(), xml, source, trustView, name, mapText, level, linkBy,
                                     args.get("display-name").value_or(""), args.has("allow-sha1"),
                                     args.has("replace"), ctx.clock, ctx.actor);
  if (!reg) throw CliError(reg.error().detail);
  if (ctx.json) {
    auto o = upstreamJson(reg->upstream);
    o->set("replaced", reg->replaced);
    ctx.printJson(o);
  } else {
    ctx.io.out << (reg->replaced ? "updated upstream " : "registered upstream ") << name << " ("
               << reg->upstream.entityId << ")\n";
    if (reg->signatureChecked) ctx.io.out << "metadata signature verified with the trust anchor\n";
    ctx.io.out << "no SP offers it yet: 'propuskctl sp set ENTITY --upstreams " << name << "'\n";
  }
  if (reg->signedButUnchecked)
    warnSignatureUnchecked(ctx.io.err);
  return 0;
}

int cmdUpstreamList(Context& ctx, const ParsedArgs&) {
  auto ups = ctx.store().listUpstreams();
  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (auto& u : ups) arr->add(upstreamJson(u));
    ctx.printJson(arr);
  } else {
    for (auto& u : ups)
      ctx.io.out << u.name << "  " << u.entityId << "  level " << policy::accountStatusName(u.level) << "  link-by "
                 << store::linkKeyName(u.linkBy) << "\n";
  }
  return 0;
}

int cmdUpstreamShow(Context& ctx, const ParsedArgs& args) {
  auto u = findOrFail(ctx, args.positional[0]);
  if (args.has("metadata")) {
    ctx.io.out << u.metadataXml;
    if (!u.metadataXml.ends_with("\n")) ctx.io.out << "\n";
    return 0;
  }
  auto o = upstreamJson(u);
  addDetails(o, u);
  const auto linked = ctx.store().countAccountLinks(u.name);
  o->set("linked_accounts", linked);
  auto refusals = refusalsJson(ctx.store(), u.name);
  o->set("last_refusals", refusals);
  if (ctx.json) {
    ctx.printJson(o);
    return 0;
  }
  auto& out = ctx.io.out;
  out << "name:               " << u.name << "\n"
      << "entityID:           " << u.entityId << "\n"
      << "display name:       " << u.displayName << "\n"
      << "registered from:    " << u.source << "\n"
      << "updated:            " << formatXsDateTime(u.updatedAt) << "\n"
      << "valid until:        " << (u.validUntil ? formatXsDateTime(*u.validUntil) : "(not set)") << "\n"
      << "metadata signature: " << (u.metadataSignatureVerified ? "verified" : "not verified") << "\n"
      << "level:              " << policy::accountStatusName(u.level) << "\n"
      << "link by:            " << store::linkKeyName(u.linkBy) << "\n"
      << "allow SHA-1:        " << (u.allowSha1 ? "yes" : "no") << "\n";
  if (o->has("metadata_error")) out << "metadata:           unreadable: " << o->getValue<std::string>("metadata_error") << "\n";
  for (auto key : {"single_sign_on_services", "single_logout_services"}) {
    auto eps = o->getArray(key);
    if (!eps) continue;
    for (size_t i = 0; i < eps->size(); ++i) {
      auto e = eps->getObject(static_cast<unsigned>(i));
      out << (std::string_view(key) == "single_sign_on_services" ? "SSO:                " : "SLO:                ")
          << e->getValue<std::string>("location") << "  [" << e->getValue<std::string>("binding") << "]\n";
    }
  }
  if (auto certs = o->getArray("signing_certificates"))
    for (size_t i = 0; i < certs->size(); ++i) {
      auto c = certs->getObject(static_cast<unsigned>(i));
      out << "signing cert:       " << c->getValue<std::string>("subject") << ", expires "
          << c->getValue<std::string>("not_after") << ", sha256 " << c->getValue<std::string>("sha256") << "\n";
    }
  auto map = o->getArray("map");
  out << "map:" << (map->size() ? "" : "                (empty: no attributes taken)") << "\n";
  for (size_t i = 0; i < map->size(); ++i) out << "  " << mapLineText(map->getObject(static_cast<unsigned>(i))) << "\n";
  out << "linked accounts:    " << linked << "\n";
  printRefusals(out, refusals, "upstream");
  return 0;
}

int cmdUpstreamSet(Context& ctx, const ParsedArgs& args) {
  const std::string name = checkedName(args.positional[0]);
  admin::UpstreamChange change;
  if (auto f = args.get("map")) change.mapText = readSmallFile(*f, "map");
  change.level = args.get("level");
  change.linkBy = args.get("link-by");
  if (auto a = args.get("allow-sha1")) change.allowSha1 = parseYesNo(*a, "allow-sha1");
  change.displayName = args.get("display-name");
  auto u = admin::updateUpstream(ctx.store(), name, change, ctx.clock, ctx.actor);
  if (!u) throw CliError(u.error().detail);
  if (ctx.json) ctx.printJson(upstreamJson(*u));
  else ctx.io.out << "updated upstream " << u->name << "\n";
  return 0;
}

int cmdUpstreamRemove(Context& ctx, const ParsedArgs& args) {
  const std::string name = checkedName(args.positional[0]);
  auto& store = ctx.store();
  const auto links = store.countAccountLinks(name);
  const std::string details = "{\"links\":" + std::to_string(links) + "}";
  if (!store.removeUpstream(name, {ctx.actor, "upstream.remove", name, "ok", details}))
    throw CliError("name: no registered upstream '" + name + "' (see 'propuskctl upstream list')");
  if (ctx.json) {
    auto o = newJsonObject();
    o->set("removed", name);
    o->set("links_removed", links);
    ctx.printJson(o);
  } else {
    ctx.io.out << "removed upstream " << name << " and " << links << " account link" << (links == 1 ? "" : "s")
               << " (the accounts stay)\n";
  }
  // An SP list naming it allows nothing now, but would allow an upstream registered later under
  // the same name: say which SPs still name it.
  for (auto& sp : store.listServiceProviders())
    if (std::find(sp.upstreams.begin(), sp.upstreams.end(), name) != sp.upstreams.end())
      ctx.io.err << "propuskctl: warning: SP " << sp.entityId << " still lists upstream '" << name
                 << "' ('propuskctl sp set " << sp.entityId << " --upstreams ...')\n";
  return 0;
}

}  // namespace propusk::cli
