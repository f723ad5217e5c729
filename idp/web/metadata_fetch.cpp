#include "idp/web/metadata_fetch.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/URI.h>

#include <memory>

namespace propusk::web {

Result<std::string> fetchUrl(const std::string& url, std::size_t maxBytes, std::chrono::seconds timeout) {
  try {
    Poco::URI uri(url);
    std::unique_ptr<Poco::Net::HTTPClientSession> session;
    if (uri.getScheme() == "https") {
      Poco::Net::Context::Ptr ctx = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", "",
                                                           Poco::Net::Context::VERIFY_STRICT, 9, true);
      session = std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), ctx);
    } else if (uri.getScheme() == "http") {
      session = std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
    } else {
      return invalid("only http:// and https:// URLs can be fetched");
    }
    session->setTimeout(Poco::Timespan(timeout.count(), 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, uri.getPathAndQuery().empty() ? "/" : uri.getPathAndQuery(),
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Accept", "application/samlmetadata+xml, application/xml;q=0.9, text/xml;q=0.8");
    session->sendRequest(req);
    Poco::Net::HTTPResponse resp;
    std::istream& body = session->receiveResponse(resp);
    if (resp.getStatus() >= 300 && resp.getStatus() < 400 && resp.has("Location"))
      return invalid("server redirects to " + resp.get("Location") + "; give that URL if you trust it");
    if (resp.getStatus() != Poco::Net::HTTPResponse::HTTP_OK)
      return invalid("server answered HTTP " + std::to_string(resp.getStatus()) + " " + resp.getReason());
    std::string out;
    char buf[8192];
    // The socket timeout bounds each read; this bounds the whole download, so a server
    // dripping a byte at a time cannot hold the command for hours.
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (body.read(buf, sizeof buf) || body.gcount() > 0) {
      out.append(buf, static_cast<size_t>(body.gcount()));
      if (out.size() > maxBytes) return invalid("document larger than " + std::to_string(maxBytes) + " bytes");
      if (std::chrono::steady_clock::now() > deadline)
        return invalid("download took longer than " + std::to_string(timeout.count()) + " s");
    }
    return out;
  } catch (const Poco::Exception& e) {
    return invalid(e.displayText());
  } catch (const std::exception& e) {
    return invalid(e.what());
  }
}

}  // namespace propusk::web
