#include "idp/web/health_handler.h"

#include "idp/admin/key_ring.h"
#include "idp/web/respond.h"

namespace propusk::web {

void HealthHandler::handleRequest(Poco::Net::HTTPServerRequest&, Poco::Net::HTTPServerResponse& resp) {
  addSecurityHeaders(resp, ctx_.config.publicUrl.starts_with("https://"));
  using S = Poco::Net::HTTPResponse::HTTPStatus;
  if (!readiness_) return sendBody(resp, S::HTTP_OK, "text/plain; charset=utf-8", "ok\n");
  try {
    if (!ctx_.ready) return sendBody(resp, S::HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", "starting\n");
    if (!ctx_.storeReachable)
      return sendBody(resp, S::HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", "store unavailable\n");
    if (!admin::activeKey(ctx_.store))
      return sendBody(resp, S::HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", "no active signing key\n");
    sendBody(resp, S::HTTP_OK, "text/plain; charset=utf-8", "ready\n");
  } catch (const std::exception& e) {
    ctx_.log.error("readiness check failed: %s", std::string(e.what()));
    sendBody(resp, S::HTTP_SERVICE_UNAVAILABLE, "text/plain; charset=utf-8", "store unavailable\n");
  }
}

}  // namespace propusk::web
