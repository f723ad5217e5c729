#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include <mutex>
#include <string>

#include "idp/web/web_context.h"

namespace propusk::web {

// Signed IdP metadata, rebuilt when the set of published keys changes or after a minute
// (signing per request would cost an RSA signature per GET).
class MetadataCache {
 public:
  explicit MetadataCache(WebContext& ctx) : ctx_(ctx) {}
  std::string get();  // throws std::runtime_error when it cannot be built

 private:
  WebContext& ctx_;
  std::mutex mutex_;
  std::string xml_;
  std::string keySetId_;
  TimePoint builtAt_{};
};

class MetadataHandler : public Poco::Net::HTTPRequestHandler {
 public:
  MetadataHandler(WebContext& ctx, MetadataCache& cache) : ctx_(ctx), cache_(cache) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
  MetadataCache& cache_;
};

}  // namespace propusk::web
