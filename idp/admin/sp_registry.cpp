#include "idp/admin/sp_registry.h"

#include <algorithm>

#include "idp/core/cidr.h"
#include "idp/core/json_text.h"
#include "idp/policy/attribute_catalog.h"
#include "idp/saml/messages/sp_metadata.h"

namespace propusk::admin {

Result<Registration> registerSp(store::Store& store, const std::string& metadataXml, const std::string& source,
                                std::span<X509* const> trust, bool replace, const Clock& clock,
                                const std::string& actor) {
  saml::MetadataCheck check;
  check.now = clock.now();
  check.trustAnchors = trust;
  auto md = saml::parseSpMetadata(metadataXml, check);
  if (!md) return invalid("metadata: " + md.error().detail);

  Registration r;
  auto existing = store.findServiceProvider(md->entityId);
  if (existing && !replace)
    return invalid("entityID: " + md->entityId + " is already registered (use --replace to update its metadata)");
  if (existing) {
    r.sp = *existing;
    r.replaced = true;
  } else {
    r.sp.createdAt = clock.now();
  }
  r.sp.entityId = md->entityId;
  r.sp.metadataXml = metadataXml;
  r.sp.metadataSignatureVerified = md->signatureVerified;
  r.sp.validUntil = md->validUntil;
  r.sp.source = source;
  r.sp.updatedAt = clock.now();
  r.signatureChecked = md->signatureVerified;
  r.signedButUnchecked = md->signed_ && !md->signatureVerified;
  std::string details = std::string(R"({"replaced":)") + (r.replaced ? "true" : "false") +
                        R"(,"signature_verified":)" + (md->signatureVerified ? "true" : "false") + "}";
  store.putServiceProvider(r.sp, {actor, r.replaced ? "sp.replace" : "sp.add", r.sp.entityId, "ok", details});
  return r;
}

Result<store::ServiceProvider> updateSpPolicy(store::Store& store, const std::string& entityId,
                                              const SpPolicyChange& change, const Clock& clock,
                                              const std::string& actor) {
  auto sp = store.findServiceProvider(entityId);
  if (!sp) return invalid("entityID: no registered SP '" + entityId + "'");
  std::string details = "{";
  auto add = [&](const std::string& k, const std::string& v) {
    if (details.size() > 1) details += ",";
    details += "\"" + k + "\":" + v;
  };
  if (change.release) {
    std::vector<std::string> names;
    for (auto& n : *change.release) {
      if (!policy::findAttribute(n)) {
        std::string known;
        for (auto& a : policy::attributeCatalog()) known += (known.empty() ? "" : ", ") + std::string(a.friendlyName);
        return invalid("release: unknown attribute '" + n + "' (known: " + known + ")");
      }
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    sp->release = names;
    std::string list = "[";
    for (auto& n : names) list += (list.size() > 1 ? ",\"" : "\"") + n + "\"";
    add("release", list + "]");
  }
  if (change.minStatus) {
    auto s = policy::parseAccountStatus(*change.minStatus);
    if (!s) return invalid("min-status: must be simplified, standard or confirmed");
    sp->minStatus = *s;
    add("min_status", "\"" + *change.minStatus + "\"");
  }
  if (change.allowSha1) {
    sp->allowSha1 = *change.allowSha1;
    add("allow_sha1", *change.allowSha1 ? "true" : "false");
  }
  if (change.signMode) {
    auto m = store::parseSignMode(*change.signMode);
    if (!m) return invalid("sign: must be both, assertion or response");
    sp->signMode = *m;
    add("sign", "\"" + *change.signMode + "\"");
  }
  if (change.upstreams) {
    std::vector<std::string> names;
    for (auto& n : *change.upstreams) {
      if (n == "all" || n == "*") {
        if (change.upstreams->size() != 1) return invalid("upstreams: 'all' stands alone, not in a list of names");
        names = {"*"};
        break;
      }
      if (!store.findUpstream(n))
        return invalid("upstreams: no registered upstream '" + n + "' (see 'propuskctl upstream list')");
      if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
    }
    sp->upstreams = names;
    std::string list = "[";
    for (auto& n : names) list += (list.size() > 1 ? "," : "") + jsonString(n);
    add("upstreams", list + "]");
  }
  if (change.localLogin) {
    sp->localLogin = *change.localLogin;
    add("local_login", *change.localLogin ? "true" : "false");
  }
  if (change.requireMfa) {
    sp->requireMfa = *change.requireMfa;
    add("require_mfa", *change.requireMfa ? "true" : "false");
  }
  if (change.allowIp) {
    std::vector<std::string> ranges;
    for (auto& r : *change.allowIp) {
      if (r == "any" && change.allowIp->size() == 1) break;  // --allow-ip any: clear the list
      auto c = Cidr::parse(r);
      if (!c) return invalid("allow-ip: " + c.error().detail);
      ranges.push_back(c->text());
    }
    sp->allowIp = ranges;
    std::string list = "[";
    for (auto& r : ranges) list += (list.size() > 1 ? "," : "") + jsonString(r);
    add("allow_ip", list + "]");
  }
  if (details.size() == 1)
    return invalid("nothing to change: give --release, --min-status, --allow-sha1/--deny-sha1, --sign, --upstreams, "
                   "--local-login, --require-mfa or --allow-ip");
  // Checked on the result, whichever of the two changed.
  if (!sp->localLogin && sp->upstreams.empty())
    return invalid("local-login: with no upstreams and no password form nobody could log in to this SP "
                   "(give --upstreams NAME,... or keep --local-login yes)");
  details += "}";
  sp->updatedAt = clock.now();
  store.putServiceProvider(*sp, {actor, "sp.set", sp->entityId, "ok", details});
  return *sp;
}

}  // namespace propusk::admin
