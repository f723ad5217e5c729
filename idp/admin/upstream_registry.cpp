#include "idp/admin/upstream_registry.h"

#include <algorithm>

#include "idp/core/json_text.h"
#include "idp/identity/attribute_map.h"
#include "idp/identity/utf8.h"
#include "idp/saml/messages/idp_metadata.h"

namespace propusk::admin {

namespace {

constexpr std::size_t kMaxName = 32;
constexpr std::size_t kMaxDisplayName = 100;  // characters, as a name part

Result<identity::AttributeMap> checkMap(const std::string& text) {
  auto map = identity::parseAttributeMap(text);
  if (!map) return invalid("map: " + map.error().detail);
  return map;
}

Result<policy::AccountStatus> checkLevel(const std::string& level) {
  auto s = policy::parseAccountStatus(level);
  if (!s) return invalid("level: must be simplified, standard or confirmed, not '" + level + "'");
  return *s;
}

Result<store::LinkKey> checkLinkBy(const std::string& linkBy) {
  auto k = store::parseLinkKey(linkBy);
  if (!k) return invalid("link-by: must be snils, inn, email or none, not '" + linkBy + "'");
  return *k;
}

// Linking by a key the map never fills would never find an account: every first login would
// make a new one, which is the silent failure an operator would notice last.
Status checkMapFillsKey(const identity::AttributeMap& map, store::LinkKey key) {
  const char* target = key == store::LinkKey::Snils ? "snils"
                       : key == store::LinkKey::Inn ? "inn"
                       : key == store::LinkKey::Email ? "mail"
                                                      : nullptr;
  if (!target) return {};
  bool mapped = std::any_of(map.mappings.begin(), map.mappings.end(), [&](auto& m) { return m.target == target; });
  if (!mapped)
    return invalid("link-by: " + std::string(store::linkKeyName(key)) + " needs the map to fill " + target +
                   " (a line 'UPSTREAM-ATTRIBUTE = " + target + "')");
  return {};
}

// Shown on the login page next to every SP's form: printable text of sensible length.
Result<std::string> checkDisplayName(const std::string& displayName, const std::string& name) {
  std::string_view t = displayName;
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  if (t.empty()) return name;
  auto cps = identity::decodeUtf8(t);
  if (!cps) return invalid("display-name: is not valid UTF-8");
  if (cps->size() > kMaxDisplayName)
    return invalid("display-name: longer than " + std::to_string(kMaxDisplayName) + " characters");
  for (char32_t c : *cps) {
    // Controls and bidirectional overrides would make the page say something else.
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) ||
        c == 0x2028 || c == 0x2029)
      return invalid("display-name: control and bidirectional-override characters are not allowed");
  }
  return std::string(t);
}

std::string settingsJson(const store::Upstream& u) {
  return "\"entity_id\":" + jsonString(u.entityId) + ",\"level\":" +
         jsonString(policy::accountStatusName(u.level)) + ",\"link_by\":" + jsonString(store::linkKeyName(u.linkBy)) +
         ",\"allow_sha1\":" + (u.allowSha1 ? "true" : "false");
}

}  // namespace

Status checkUpstreamName(std::string_view name) {
  const std::string rule = "name: must be 1.." + std::to_string(kMaxName) +
                           " of a-z, 0-9 and '-', starting with a letter";
  if (name.empty() || name.size() > kMaxName || name.front() < 'a' || name.front() > 'z') return invalid(rule);
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return invalid(rule);
  if (name == "all" || name == "none")
    return invalid("name: '" + std::string(name) + "' is reserved (sp set --upstreams all|none)");
  return {};
}

Result<UpstreamRegistration> registerUpstream(store::Store& store, const std::string& metadataXml,
                                              const std::string& source, std::span<X509* const> trust,
                                              const std::string& name, const std::string& mapText,
                                              const std::string& level, const std::string& linkBy,
                                              const std::string& displayName, bool allowSha1, bool replace,
                                              const Clock& clock, const std::string& actor) {
  // The cheap words first, so that a typo is reported before the metadata is looked at.
  if (auto ok = checkUpstreamName(name); !ok) return std::unexpected(ok.error());
  auto map = checkMap(mapText);
  if (!map) return std::unexpected(map.error());
  auto lvl = checkLevel(level);
  if (!lvl) return std::unexpected(lvl.error());
  auto key = checkLinkBy(linkBy);
  if (!key) return std::unexpected(key.error());
  if (auto ok = checkMapFillsKey(*map, *key); !ok) return std::unexpected(ok.error());
  auto shown = checkDisplayName(displayName, name);
  if (!shown) return std::unexpected(shown.error());

  saml::IdpMetadataCheck check;
  check.now = clock.now();
  check.trustAnchors = trust;
  auto md = saml::parseIdpMetadata(metadataXml, check);
  if (!md) return invalid("metadata: " + md.error().detail);

  UpstreamRegistration r;
  auto existing = store.findUpstream(name);
  if (existing && !replace)
    return invalid("name: upstream '" + name + "' is already registered (use --replace to update it)");
  if (auto other = store.findUpstreamByEntityId(md->entityId); other && other->name != name)
    return invalid("entityID: " + md->entityId + " is already registered as upstream '" + other->name + "'");
  // Its account links are keyed by the name: another IdP under the same name must not inherit
  // them (whoever runs that IdP would log in as the people linked to the old one).
  if (existing && existing->entityId != md->entityId)
    return invalid("metadata: entityID " + md->entityId + " is not upstream '" + name + "''s " + existing->entityId +
                   " (remove the upstream, and with it its account links, to register another IdP under this name)");
  r.replaced = existing.has_value();
  r.upstream.name = name;
  r.upstream.entityId = md->entityId;
  r.upstream.metadataXml = metadataXml;
  r.upstream.mapText = mapText;
  r.upstream.displayName = *shown;
  r.upstream.level = *lvl;
  r.upstream.linkBy = *key;
  r.upstream.allowSha1 = allowSha1;
  r.upstream.metadataSignatureVerified = md->signatureVerified;
  r.upstream.validUntil = md->validUntil;
  r.upstream.source = source;
  r.upstream.createdAt = existing ? existing->createdAt : clock.now();
  r.upstream.updatedAt = clock.now();
  r.signatureChecked = md->signatureVerified;
  r.signedButUnchecked = md->signed_ && !md->signatureVerified;
  const std::string details = std::string("{\"replaced\":") + (r.replaced ? "true" : "false") +
                              ",\"signature_verified\":" + (md->signatureVerified ? "true" : "false") + "," +
                              settingsJson(r.upstream) + "}";
  // Another writer may have taken the entityID since the look-up above; the store checks
  // again under its write lock.
  if (!store.putUpstream(r.upstream, {actor, r.replaced ? "upstream.replace" : "upstream.add", name, "ok", details}))
    return invalid("entityID: " + md->entityId + " is already registered as another upstream");
  return r;
}

Result<store::Upstream> updateUpstream(store::Store& store, const std::string& name, const UpstreamChange& change,
                                       const Clock& clock, const std::string& actor) {
  auto up = store.findUpstream(name);
  if (!up) return invalid("name: no registered upstream '" + name + "'");
  std::string changed;
  auto add = [&](const std::string& k, const std::string& v) { changed += (changed.empty() ? "" : ",") + jsonString(k) + ":" + v; };
  if (change.mapText) {
    up->mapText = *change.mapText;
    add("map", "true");  // the map itself is configuration, not a secret, but long: `upstream show` has it
  }
  if (change.level) {
    auto lvl = checkLevel(*change.level);
    if (!lvl) return std::unexpected(lvl.error());
    up->level = *lvl;
    add("level", jsonString(*change.level));
  }
  if (change.linkBy) {
    auto key = checkLinkBy(*change.linkBy);
    if (!key) return std::unexpected(key.error());
    up->linkBy = *key;
    add("link_by", jsonString(*change.linkBy));
  }
  if (change.allowSha1) {
    up->allowSha1 = *change.allowSha1;
    add("allow_sha1", *change.allowSha1 ? "true" : "false");
  }
  if (change.displayName) {
    auto shown = checkDisplayName(*change.displayName, up->name);
    if (!shown) return std::unexpected(shown.error());
    up->displayName = *shown;
    add("display_name", jsonString(*shown));
  }
  if (changed.empty())
    return invalid("nothing to change: give --map, --level, --link-by, --allow-sha1 or --display-name");
  // The map and the link key are checked together, whichever of them changed.
  auto map = checkMap(up->mapText);
  if (!map) return std::unexpected(map.error());
  if (auto ok = checkMapFillsKey(*map, up->linkBy); !ok) return std::unexpected(ok.error());
  up->updatedAt = clock.now();
  if (!store.putUpstream(*up, {actor, "upstream.set", up->name, "ok", "{" + changed + "}"}))
    return invalid("entityID: " + up->entityId + " is already registered as another upstream");
  return *up;
}

}  // namespace propusk::admin
