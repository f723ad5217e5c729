#include "idp/sso/upstream_directory.h"

#include "idp/crypto/keys.h"

namespace propusk::sso {

namespace {
bool sameRow(const store::Upstream& a, const store::Upstream& b) {
  return a.updatedAt == b.updatedAt && a.entityId == b.entityId && a.metadataXml == b.metadataXml &&
         a.mapText == b.mapText && a.displayName == b.displayName && a.level == b.level && a.linkBy == b.linkBy &&
         a.allowSha1 == b.allowSha1;
}
}  // namespace

Result<std::shared_ptr<const RegisteredUpstream>> UpstreamDirectory::load(const store::Upstream& row, TimePoint now) {
  saml::IdpMetadataCheck check;
  check.now = now;  // an expired validUntil makes the upstream unusable until re-registered
  check.entityId = row.entityId;
  auto md = saml::parseIdpMetadata(row.metadataXml, check);
  if (!md) return std::unexpected(md.error());
  auto map = identity::parseAttributeMap(row.mapText);
  if (!map) return std::unexpected(map.error());
  auto up = std::make_shared<RegisteredUpstream>();
  up->row = row;
  up->metadata = std::move(*md);
  up->map = std::move(*map);
  auto peer = std::make_shared<saml::RegisteredSp>();
  peer->metadata.entityId = row.entityId;
  peer->metadata.singleLogoutServices = up->metadata.singleLogoutServices;
  for (auto& c : up->metadata.signingCertificates) peer->metadata.signingCertificates.push_back(crypto::shareCertificate(c.get()));
  peer->allowSha1 = row.allowSha1;
  up->asPeer = std::move(peer);
  return std::shared_ptr<const RegisteredUpstream>(std::move(up));
}

void UpstreamDirectory::refresh() {
  const auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (read_ && now - readAt_ < kRefresh) return;
  }
  auto rows = store_.listUpstreams();  // store I/O outside the lock
  std::lock_guard lock(mutex_);
  std::map<std::string, std::shared_ptr<const RegisteredUpstream>, std::less<>> next;
  for (auto& row : rows) {
    // Unchanged rows keep their parsed view (updatedAt and the bytes that matter).
    if (auto it = byName_.find(row.name); it != byName_.end() && sameRow(it->second->row, row) &&
                                          !(it->second->metadata.validUntil && *it->second->metadata.validUntil <= now)) {
      next.emplace(row.name, it->second);
      continue;
    }
    if (auto up = load(row, now)) next.emplace(row.name, std::move(*up));
  }
  byName_ = std::move(next);
  readAt_ = now;
  read_ = true;
}

std::shared_ptr<const RegisteredUpstream> UpstreamDirectory::find(std::string_view name) {
  refresh();
  std::lock_guard lock(mutex_);
  auto it = byName_.find(name);
  return it == byName_.end() ? nullptr : it->second;
}

std::shared_ptr<const RegisteredUpstream> UpstreamDirectory::findByEntityId(std::string_view entityId) {
  refresh();
  std::lock_guard lock(mutex_);
  for (auto& [_, up] : byName_)
    if (up->entityId() == entityId) return up;
  return nullptr;
}

std::shared_ptr<const saml::RegisteredSp> UpstreamPeers::find(std::string_view entityId) {
  auto up = upstreams_.findByEntityId(entityId);
  return up ? up->asPeer : nullptr;
}

std::vector<std::shared_ptr<const RegisteredUpstream>> UpstreamDirectory::list() {
  refresh();
  std::lock_guard lock(mutex_);
  std::vector<std::shared_ptr<const RegisteredUpstream>> v;
  for (auto& [_, up] : byName_) v.push_back(up);
  return v;
}

}  // namespace propusk::sso
