// The registered upstream IdPs (gateway, docs/gateway.md) with their metadata parsed,
// certificates loaded and attribute maps read once per stored row, not per login.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/clock.h"
#include "idp/identity/attribute_map.h"
#include "idp/saml/messages/idp_metadata.h"
#include "idp/saml/sp_directory.h"
#include "idp/store/store.h"

namespace propusk::sso {

struct RegisteredUpstream {
  store::Upstream row;  // name, entityId, level, linkBy, allowSha1, displayName...
  saml::IdpMetadata metadata;
  identity::AttributeMap map;

  std::vector<X509*> signingCertificates() const {
    std::vector<X509*> v;
    for (auto& c : metadata.signingCertificates) v.push_back(c.get());
    return v;
  }
  // The upstream as a peer of the logout steps (saml/validation/logout_steps.h): its entityID,
  // SingleLogoutService endpoints and signing keys, its SHA-1 policy.
  std::shared_ptr<const saml::RegisteredSp> asPeer;

  const std::string& name() const { return row.name; }
  const std::string& entityId() const { return row.entityId; }
};

class UpstreamDirectory;

// The upstreams seen through saml::SpDirectory (by entityID), so that their LogoutRequests and
// LogoutResponses at /saml/sp/slo run the very logout steps SPs' messages run at /saml/slo —
// with the upstreams' keys only, never an SP's.
class UpstreamPeers final : public saml::SpDirectory {
 public:
  explicit UpstreamPeers(UpstreamDirectory& upstreams) : upstreams_(upstreams) {}
  std::shared_ptr<const saml::RegisteredSp> find(std::string_view entityId) override;

 private:
  UpstreamDirectory& upstreams_;
};

class UpstreamDirectory {
 public:
  UpstreamDirectory(store::Store& store, const Clock& clock) : store_(store), clock_(clock) {}

  // nullptr when no such upstream is registered, or its metadata has expired or no longer
  // reads (logged once by the caller's refusal).
  std::shared_ptr<const RegisteredUpstream> find(std::string_view name);
  std::shared_ptr<const RegisteredUpstream> findByEntityId(std::string_view entityId);
  // Every usable upstream, ordered by name.
  std::vector<std::shared_ptr<const RegisteredUpstream>> list();

  // The parsed view of a stored upstream at `now`, or the reason it is unusable.
  static Result<std::shared_ptr<const RegisteredUpstream>> load(const store::Upstream& row, TimePoint now);

 private:
  void refresh();  // re-reads the table when the last read is older than kRefresh

  static constexpr std::chrono::seconds kRefresh{3};  // a CLI change is seen within this
  store::Store& store_;
  const Clock& clock_;
  std::mutex mutex_;
  TimePoint readAt_{};
  bool read_ = false;
  std::map<std::string, std::shared_ptr<const RegisteredUpstream>, std::less<>> byName_;
};

}  // namespace propusk::sso
