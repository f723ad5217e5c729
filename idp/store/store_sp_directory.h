// SpDirectory over the store: metadata is parsed and certificates loaded once per SP and
// kept until the stored row changes, never per request.
#pragma once

#include <chrono>
#include <map>
#include <mutex>

#include "idp/saml/sp_directory.h"
#include "idp/store/store.h"

namespace propusk::store {

class StoreSpDirectory final : public saml::SpDirectory {
 public:
  StoreSpDirectory(Store& store, const Clock& clock) : store_(store), clock_(clock) {}
  std::shared_ptr<const saml::RegisteredSp> find(std::string_view entityId) override;

  // Builds the parsed view of a stored SP (nullptr if its metadata no longer parses).
  static std::shared_ptr<const saml::RegisteredSp> load(const ServiceProvider& sp);

 private:
  struct Entry {
    std::shared_ptr<const saml::RegisteredSp> sp;
    std::string fingerprint;  // of the stored row: updatedAt has only second resolution
    TimePoint checkedAt;
  };
  Store& store_;
  const Clock& clock_;
  std::mutex mutex_;
  std::map<std::string, Entry, std::less<>> cache_;
};

}  // namespace propusk::store
