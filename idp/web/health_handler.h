#pragma once

#include <Poco/Net/HTTPRequestHandler.h>

#include "idp/web/web_context.h"

namespace propusk::web {

// GET /healthz: the process serves. GET /readyz: the store answers and a signing key is active.
class HealthHandler : public Poco::Net::HTTPRequestHandler {
 public:
  HealthHandler(WebContext& ctx, bool readiness) : ctx_(ctx), readiness_(readiness) {}
  void handleRequest(Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp) override;

 private:
  WebContext& ctx_;
  bool readiness_;
};

}  // namespace propusk::web
