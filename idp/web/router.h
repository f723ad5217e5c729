#pragma once

#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include <memory>

#include "idp/web/metadata_handler.h"
#include "idp/web/web_context.h"

namespace propusk::web {

// Maps method + path to a handler; everything else gets a 404/405 page. Every handler is
// wrapped: the request's body is read first, within the endpoint's limit, or refused with
// 413 (request_body.h), and an exception becomes a plain 500 page with a correlation id,
// never a trace.
class Router : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Router(WebContext& ctx) : ctx_(ctx), metadata_(ctx) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(const Poco::Net::HTTPServerRequest& req) override;

 private:
  WebContext& ctx_;
  MetadataCache metadata_;
};

}  // namespace propusk::web
