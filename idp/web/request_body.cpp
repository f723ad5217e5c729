#include "idp/web/request_body.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPMessage.h>
#include <Poco/Net/HTTPServerRequestImpl.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <charconv>

#include "idp/core/json_text.h"
#include "idp/core/printable.h"
#include "idp/web/http_util.h"
#include "idp/web/refusal.h"

namespace propusk::web {

namespace {

using HttpStatus = Poco::Net::HTTPResponse::HTTPStatus;
using Poco::Net::HTTPMessage;

char asciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return asciiLower(x) == asciiLower(y); });
}

// RFC 9110 §8.6: 1*DIGIT. No sign, no spaces, no list; 19 digits at most (fits 64 bits).
std::optional<std::uint64_t> parseContentLength(std::string_view v) {
  if (v.empty() || v.size() > 19) return std::nullopt;
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || end != v.data() + v.size() || v.front() == '-' || v.front() == '+') return std::nullopt;
  return n;
}

}  // namespace

const BodyLimit* bodyLimitFor(std::string_view path, std::string_view method) {
  if (method != "POST") return nullptr;
  for (const BodyLimit& l : kBodyLimits)
    if (l.path == path) return &l;
  return nullptr;
}

BodyFraming bodyFraming(const Poco::Net::MessageHeader& headers) {
  // The names are Poco's static strings: no temporary std::string per look-up.
  auto cl = headers.find(HTTPMessage::CONTENT_LENGTH);
  auto te = headers.find(HTTPMessage::TRANSFER_ENCODING);
  const auto end = headers.end();
  auto count = [&](auto it, const std::string& name) {
    int n = 0;
    for (; it != end && iequals(it->first, name); ++it) ++n;
    return n;
  };
  if (te != end) {
    // RFC 9112 §6.1: with Transfer-Encoding, Content-Length must not count; a request
    // carrying both is refused (and its connection closed) rather than guessed at.
    if (cl != end) return {BodyFraming::Invalid, 0, "both Content-Length and Transfer-Encoding"};
    if (count(te, HTTPMessage::TRANSFER_ENCODING) != 1 || !iequals(te->second, "chunked"))
      return {BodyFraming::Invalid, 0, "a transfer coding other than chunked"};
    return {BodyFraming::Chunked, 0, {}};
  }
  if (cl == end) return {};  // RFC 9112 §6.3 (7): no body
  auto n = parseContentLength(cl->second);
  if (!n) return {BodyFraming::Invalid, 0, "a malformed Content-Length"};
  for (auto it = std::next(cl); it != end && iequals(it->first, HTTPMessage::CONTENT_LENGTH); ++it)
    if (it->second != cl->second) return {BodyFraming::Invalid, 0, "differing Content-Length values"};
  if (*n == 0) return {};
  return {BodyFraming::Length, *n, {}};
}

BodyPlan planBody(const BodyFraming& framing, const BodyLimit* limit) {
  switch (framing.kind) {
    case BodyFraming::None: return BodyPlan::None;
    case BodyFraming::Invalid: return BodyPlan::Malformed;
    case BodyFraming::Length:
    case BodyFraming::Chunked: break;
  }
  if (!limit) return BodyPlan::Unexpected;
  if (framing.kind == BodyFraming::Length && framing.length > limit->maxBytes) return BodyPlan::TooLarge;
  return BodyPlan::Read;
}

std::expected<std::string, BodyFault> readBody(std::istream& in, const BodyFraming& framing, std::size_t maxBytes,
                                               std::chrono::milliseconds deadline) {
  if (framing.kind == BodyFraming::None) return std::string();
  if (framing.kind == BodyFraming::Length && framing.length > maxBytes) return std::unexpected(BodyFault::TooLarge);
  // Known length: read that much (one allocation); chunked: one byte past the limit is enough
  // to know, no more is read.
  const bool known = framing.kind == BodyFraming::Length;
  const std::size_t target = known ? framing.length : maxBytes + 1;
  std::string body;
  if (known) body.reserve(target);
  const auto start = std::chrono::steady_clock::now();
  char buf[8192];
  while (body.size() < target) {
    // What the stream has buffered comes at once; when it has nothing, one byte is asked for,
    // which is one read on the socket (bounded by its timeout). So the deadline is checked
    // after every read: a client dripping a byte a second cannot hold this thread for longer
    // than the deadline plus one socket timeout.
    const std::size_t want = std::min(sizeof buf, target - body.size());
    std::streamsize got = in.readsome(buf, static_cast<std::streamsize>(want));
    if (got <= 0) {
      in.read(buf, 1);
      got = in.gcount();
      if (got <= 0) break;  // end of the body (chunked), or the stream failed
    }
    body.append(buf, static_cast<std::size_t>(got));
    if (body.size() < target && std::chrono::steady_clock::now() - start > deadline)
      return std::unexpected(BodyFault::TooSlow);
  }
  if (body.size() > maxBytes) return std::unexpected(BodyFault::TooLarge);
  if (known && body.size() != target) return std::unexpected(BodyFault::Incomplete);
  // A failing stream (a bad chunk, a timeout) sets badbit; the end of the body only eofbit.
  if (in.bad()) return std::unexpected(BodyFault::Incomplete);
  return body;
}

std::optional<std::chrono::milliseconds> LingerBudget::nextWait(std::size_t drained,
                                                                std::chrono::milliseconds elapsed) const {
  if (drained >= maxBytes || elapsed >= maxTime) return std::nullopt;
  return std::min(maxIdle, maxTime - elapsed);
}

void linger(Poco::Net::HTTPServerRequest& req, const LingerBudget& budget) {
  auto* server = dynamic_cast<Poco::Net::HTTPServerRequestImpl*>(&req);
  if (!server) return;
  Poco::Net::StreamSocket& socket = server->socket();
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  };
  auto span = [](std::chrono::milliseconds d) {
    return Poco::Timespan(static_cast<Poco::Timespan::TimeDiff>(d.count()) * 1000);
  };
  char buf[16384];
  std::size_t drained = 0;
  try {
    // Each wait is a poll: a Poco TLS read retries after the socket's receive timeout (a
    // 1 s timeout let a silent client hold the connection 2 s). The timeout still bounds
    // the read of a TLS record that arrives in pieces.
    socket.setReceiveTimeout(span(std::min(budget.maxIdle, budget.maxTime)));
    while (auto wait = budget.nextWait(drained, elapsed())) {
      if (socket.available() <= 0 && !socket.poll(span(*wait), Poco::Net::Socket::SELECT_READ)) break;
      const int n = socket.receiveBytes(buf, static_cast<int>(std::min(sizeof buf, budget.maxBytes - drained)));
      if (n <= 0) break;  // the client closed: closing now resets nothing
      drained += static_cast<std::size_t>(n);
    }
  } catch (const Poco::Exception&) {
    // A timeout, a reset or a TLS alert ends the lingering; the connection closes either way.
  }
}

BodyGate::BodyGate(const Poco::Net::HTTPServerRequest& req, const BodyLimit* limit)
    : limit_(limit), framing_(bodyFraming(req)), plan_(planBody(framing_, limit)) {
  // Poco answers `Expect: 100-continue` before the handler runs unless the response's
  // status is no longer 200 (HTTPServerConnection::run): a body about to be refused is not
  // invited. The handler sets the real status anyway.
  if (plan_ == BodyPlan::TooLarge || plan_ == BodyPlan::Malformed) {
    if (req.getExpectContinue())
      req.response().setStatus(plan_ == BodyPlan::TooLarge ? HttpStatus::HTTP_REQUEST_ENTITY_TOO_LARGE
                                                           : HttpStatus::HTTP_BAD_REQUEST);
  }
}

bool BodyGate::admit(WebContext& ctx, Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                     ExchangeScope& exchange) {
  switch (plan_) {
    case BodyPlan::None: return true;
    case BodyPlan::Unexpected:
      // Not read (it could be anything, of any size): nothing may follow on this connection.
      resp.setKeepAlive(false);
      linger_ = true;
      return true;
    case BodyPlan::Malformed:
      resp.setKeepAlive(false);
      linger_ = true;
      sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_REQUEST, "Некорректный запрос", "Bad request",
                    printable(req.getMethod(), 16) + " " + (limit_ ? std::string(limit_->path) : "-") +
                        ": request body framing refused: " + std::string(framing_.problem));
      return false;
    case BodyPlan::TooLarge:
      linger_ = true;
      refuse(ctx, req, resp,
             "Content-Length " + std::to_string(framing_.length) + " over the limit of " +
                 std::to_string(limit_->maxBytes) + " bytes");
      return false;
    case BodyPlan::Read: break;
  }
  auto body = readBody(req.stream(), framing_, limit_->maxBytes, kBodyDeadline);
  if (body) {
    exchange.setBody(std::move(*body));
    if (framing_.kind == BodyFraming::Chunked) {
      // Poco's chunked decoder reads at most one trailer line after the last chunk: what
      // follows a chunked body cannot be trusted to start the next request.
      resp.setKeepAlive(false);
      linger_ = true;
    }
    return true;
  }
  linger_ = true;
  if (body.error() == BodyFault::TooLarge) {
    refuse(ctx, req, resp, "chunked body over the limit of " + std::to_string(limit_->maxBytes) + " bytes");
  } else if (body.error() == BodyFault::TooSlow) {
    // No lingering for a client that is too slow already: the connection just closes.
    linger_ = false;
    resp.setKeepAlive(false);
    sendErrorPage(ctx, resp, HttpStatus::HTTP_REQUEST_TIMEOUT, "Запрос передавался слишком долго",
                  "The request took too long to arrive",
                  std::string(limit_->path) + ": request body not complete within " +
                      std::to_string(kBodyDeadline.count() / 1000) + " s");
  } else {
    resp.setKeepAlive(false);
    sendErrorPage(ctx, resp, HttpStatus::HTTP_BAD_REQUEST, "Некорректный запрос", "Bad request",
                  std::string(limit_->path) + ": the request body ended early or could not be read");
  }
  return false;
}

void BodyGate::refuse(WebContext& ctx, const Poco::Net::HTTPServerRequest& req, Poco::Net::HTTPServerResponse& resp,
                      const std::string& detail) {
  resp.setKeepAlive(false);  // first: also the 500 page, should the audit fail, closes
  if (!limit_->auditAction.empty())
    recordRefusal(ctx, limit_->auditActor, limit_->auditAction, {"-", false, remoteAddress(req)}, "", limit_->auditStep,
                  Error{StatusCode::Requester, {}, detail});
  sendErrorPage(ctx, resp, HttpStatus::HTTP_REQUEST_ENTITY_TOO_LARGE, "Слишком большой запрос", "Request too large",
                std::string(limit_->path) + ": " + detail);
}

void BodyGate::finish(Poco::Net::HTTPServerRequest& req) {
  if (linger_) linger(req);
}

}  // namespace propusk::web
