#include "idp/store/store_sp_directory.h"

#include "idp/crypto/digest.h"

namespace propusk::store {

namespace {
// How long a cached entry is trusted before the row is looked at again (a cheap
// primary-key read and a hash; the expensive parse happens only when the row changed).
constexpr std::chrono::seconds kRecheck{5};

std::string fingerprint(const ServiceProvider& sp) {
  std::string policy;
  for (auto& r : sp.release) policy += r + ",";
  policy += "|" + std::to_string(static_cast<int>(sp.minStatus)) + "|" + std::to_string(sp.allowSha1) + "|" +
            std::to_string(static_cast<int>(sp.signMode)) + "|";
  for (auto& u : sp.upstreams) policy += u + ",";
  policy += "|" + std::to_string(sp.localLogin) + "|" + std::to_string(sp.requireMfa) + "|";
  for (auto& a : sp.allowIp) policy += a + ",";
  policy += "|";
  return crypto::sha256(policy + sp.metadataXml);
}
}  // namespace

std::shared_ptr<const saml::RegisteredSp> StoreSpDirectory::load(const ServiceProvider& sp) {
  saml::MetadataCheck check;  // registered metadata: validUntil is enforced by find()
  auto md = saml::parseSpMetadata(sp.metadataXml, check);
  if (!md) return nullptr;
  auto out = std::make_shared<saml::RegisteredSp>();
  out->metadata = std::move(*md);
  out->release = sp.release;
  out->minStatus = sp.minStatus;
  out->allowSha1 = sp.allowSha1;
  out->signing = sp.signMode == SignMode::AssertionOnly  ? saml::ResponseSigning::AssertionOnly
                 : sp.signMode == SignMode::ResponseOnly ? saml::ResponseSigning::ResponseOnly
                                                         : saml::ResponseSigning::Both;
  out->upstreams = sp.upstreams;
  out->localLogin = sp.localLogin;
  out->requireMfa = sp.requireMfa;
  // Checked when set (propuskctl); a row edited behind our back into nonsense allows nothing
  // rather than everything.
  for (auto& a : sp.allowIp) {
    auto c = Cidr::parse(a);
    if (!c) return nullptr;
    out->allowIp.push_back(*c);
  }
  return out;
}

std::shared_ptr<const saml::RegisteredSp> StoreSpDirectory::find(std::string_view entityId) {
  auto now = clock_.now();
  {
    std::lock_guard lock(mutex_);
    if (auto it = cache_.find(entityId); it != cache_.end() && now - it->second.checkedAt < kRecheck) {
      auto& sp = it->second.sp;
      if (sp && sp->metadata.validUntil && *sp->metadata.validUntil <= now) return nullptr;
      return sp;
    }
  }
  auto row = store_.findServiceProvider(entityId);  // outside the lock: I/O
  std::lock_guard lock(mutex_);
  if (!row) {
    cache_.erase(std::string(entityId));
    return nullptr;
  }
  auto it = cache_.find(entityId);
  auto fp = fingerprint(*row);
  if (it == cache_.end() || it->second.fingerprint != fp || !it->second.sp) {
    cache_[std::string(entityId)] = Entry{load(*row), fp, now};
    it = cache_.find(entityId);
  } else {
    it->second.checkedAt = now;
  }
  auto& sp = it->second.sp;
  // metadata §2.3.2: expired metadata must not be used.
  if (sp && sp->metadata.validUntil && *sp->metadata.validUntil <= now) return nullptr;
  return sp;
}

}  // namespace propusk::store
