// Request bodies: one place sets each endpoint's limit, reads the body before the handler
// runs and refuses what is too large.
//
// Design (issue 13, point 4):
// - kBodyLimits is the only table of body limits; a request that may carry content (POST
//   to one of its paths) gets that limit, any other request none (404, 405, GET).
// - The router's wrapper (BodyGate) runs before every handler. A declared Content-Length
//   over the limit is answered at once with 413 (RFC 9110 §15.5.14) and the usual error
//   page, before a byte of the body is read; a chunked body is read up to the limit and
//   answered with 413 when it goes past. Ambiguous framing (Content-Length together with
//   Transfer-Encoding, a coding other than chunked, a bad Content-Length) gets 400
//   (RFC 9112 §6.1, §6.3). Each of these answers carries `Connection: close`; a 413 is
//   audited the way the endpoint audits its other binding refusals.
// - A body the handler takes is read whole here and handed over through the ExchangeScope
//   (takeBody in http_util.h): after a handler no bytes of the request are left on the
//   connection, so a kept-alive connection never parses its next request out of a body.
//   A body sent where none is expected is not read: the answer goes out with
//   `Connection: close` instead.
// - Closing a TCP connection with unread bytes makes the kernel send RST, and the client
//   then loses the answer it has not read yet (the old behaviour: an EOF while sending a
//   4 MiB POST). So after such an answer the connection lingers (RFC 9112 §9.6; nginx's
//   lingering_close): what the client still sends is read and dropped, at most 8 MiB and
//   2 s (1 s without any byte), then the connection closes anyway. A client can hold a
//   worker thread no longer than it already can with slow headers (5 s), and it pays
//   for every byte drained.
// - The usual request (Content-Length within the limit, or no body) costs no extra system
//   call or allocation: a known length is read straight into one string of that size.
#pragma once

#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/MessageHeader.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <expected>
#include <istream>
#include <optional>
#include <string>
#include <string_view>

#include "idp/web/respond.h"
#include "idp/web/web_context.h"

namespace propusk::web {

struct BodyLimit {
  std::string_view path;
  std::size_t maxBytes;
  // How a refusal at this endpoint is audited, as its own binding refusals are; an empty
  // action: not audited (a form's errors are logged with the error page only).
  std::string_view auditActor;
  std::string_view auditAction;
  std::string_view auditStep;
};

// A POSTed SAML message: base64 of the parser's 256 KiB of XML, form encoding, RelayState.
inline constexpr std::size_t kMaxSamlPostBody = 512 * 1024;
inline constexpr std::size_t kMaxSoapBody = 256 * 1024;
inline constexpr std::size_t kMaxFormBody = 16 * 1024;

inline constexpr BodyLimit kBodyLimits[] = {
    {"/saml/sso", kMaxSamlPostBody, "web", "authn-request.refused", "binding"},
    {"/saml/slo", kMaxSamlPostBody, "web", "logout.request.refused", "binding"},
    {"/saml/soap", kMaxSoapBody, "soap", "logout.request.refused", "soap"},
    {"/saml/acs", kMaxSamlPostBody, "web", "upstream.response.refused", "binding"},
    {"/saml/sp/slo", kMaxSamlPostBody, "web", "upstream.logout.refused", "binding"},
    {"/login", kMaxFormBody, "web", "login.refused", "body"},
    {"/login/upstream", kMaxFormBody, "web", "login.refused", "body"},
    {"/login/mfa", kMaxFormBody, "web", "login.refused", "body"},
    {"/login/recover", kMaxFormBody, "web", "recovery.refused", "body"},
    {"/account", kMaxFormBody, "web", "account.refused", "body"},
    {"/logout", kMaxFormBody, {}, {}, {}},
};

// The limit of a request that may carry content (a POST to a path of kBodyLimits); nullptr
// for any other request: it is expected to have no body.
const BodyLimit* bodyLimitFor(std::string_view path, std::string_view method);

// How the request delimits its body (RFC 9112 §6.3).
struct BodyFraming {
  enum Kind { None, Length, Chunked, Invalid };
  Kind kind = None;
  std::uint64_t length = 0;  // Length: the declared Content-Length (> 0)
  std::string_view problem;  // Invalid: why, for the log
};
BodyFraming bodyFraming(const Poco::Net::MessageHeader& headers);

// What the gate does with a request, decided from its headers alone.
enum class BodyPlan {
  None,        // no body: straight to the handler
  Read,        // read it (up to the limit) and hand it over
  TooLarge,    // declared over the limit: 413 before reading
  Malformed,   // framing we refuse: 400
  Unexpected,  // a body where none is taken: not read, the answer closes the connection
};
BodyPlan planBody(const BodyFraming& framing, const BodyLimit* limit);

enum class BodyFault { TooLarge, Incomplete, TooSlow };
// The whole body must arrive within this (the socket's 5 s timeout bounds each read, not
// the sum: a client sending a byte a second would hold a worker thread for days).
inline constexpr std::chrono::milliseconds kBodyDeadline{10'000};
// Reads the body from `in` (the request stream, which already undoes chunked coding): the
// declared length exactly, or for chunked bodies up to maxBytes. TooLarge when a chunked
// body goes past maxBytes; Incomplete when the stream ends or fails first (the client
// closed, timed out, or sent a bad chunk); TooSlow when it has not all come within
// `deadline` (checked after every read on the socket).
std::expected<std::string, BodyFault> readBody(std::istream& in, const BodyFraming& framing, std::size_t maxBytes,
                                               std::chrono::milliseconds deadline = kBodyDeadline);

// The bounds of a lingering close.
struct LingerBudget {
  std::size_t maxBytes = 8 * 1024 * 1024;
  std::chrono::milliseconds maxTime{2000};
  std::chrono::milliseconds maxIdle{1000};  // waiting for the next bytes
  // How long to wait for more once `drained` bytes were dropped in `elapsed`; nothing: stop.
  std::optional<std::chrono::milliseconds> nextWait(std::size_t drained, std::chrono::milliseconds elapsed) const;
};

// Reads and drops what the client still sends on the request's connection, within `budget`.
// Never throws; the caller has set `Connection: close`.
void linger(Poco::Net::HTTPServerRequest& req, const LingerBudget& budget = {});

// The router's wrapper around every handler: made with the request's headers (it withholds
// `100 Continue` from a body it will refuse), then admit() before the handler and finish()
// after it.
class BodyGate {
 public:
  BodyGate(const Poco::Net::HTTPServerRequest& req, const BodyLimit* limit);
  // Reads the body into `exchange`, or answers (413 or 400, `Connection: close`) and
  // returns false.
  bool admit(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
             ExchangeScope& exchange);
  // After the response: lingers when bytes of the request may still be unread.
  void finish(Poco::Net::HTTPServerRequest& req);

 private:
  void refuse(WebContext& ctx, const Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
              const std::string& detail);

  const BodyLimit* limit_;
  BodyFraming framing_;
  BodyPlan plan_;
  bool linger_ = false;
};

}  // namespace propusk::web
