#include "idp/cli/samlflow/flow_record.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

#include "idp/cli/samlflow/env.h"
#include "idp/cli/samlflow/message_decoder.h"
#include "idp/core/base64.h"
#include "idp/identity/utf8.h"

namespace propusk::cli::samlflow {

namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

bool hasField(std::string_view text, std::string_view name) {
  size_t pos = 0;
  while ((pos = text.find(name, pos)) != std::string_view::npos) {
    bool start = pos == 0 || text[pos - 1] == '&' || text[pos - 1] == '?';
    if (start && pos + name.size() < text.size() && text[pos + name.size()] == '=') return true;
    pos += name.size();
  }
  return false;
}

// Bodies are text (HTML, XML, forms) as a rule; anything else is kept as base64.
void setBody(Object::Ptr& o, const std::string& body) {
  if (identity::decodeUtf8(body)) o->set("body", body);
  else o->set("body_base64", base64Encode(body));
}

Result<std::string> getBody(const Object::Ptr& o) {
  if (o->has("body_base64")) return base64Decode(o->getValue<std::string>("body_base64"), 64u << 20);
  return o->optValue<std::string>("body", "");
}

Array::Ptr headersJson(const web::HttpHeaders& h) {
  Array::Ptr a = new Array;
  for (auto& [k, v] : h) {
    Array::Ptr pair = new Array;
    pair->add(k);
    pair->add(v);
    a->add(pair);
  }
  return a;
}

web::HttpHeaders headersFrom(const Array::Ptr& a) {
  web::HttpHeaders h;
  if (!a) return h;
  for (size_t i = 0; i < a->size(); ++i) {
    auto pair = a->getArray(static_cast<unsigned>(i));
    if (pair && pair->size() == 2)
      h.emplace_back(pair->getElement<std::string>(0), pair->getElement<std::string>(1));
  }
  return h;
}

Object::Ptr samlJson(const DecodedMessage& m) {
  auto o = jsonObject();
  o->set("field", m.field);
  o->set("encoding", m.encoding);
  if (m.relayState) o->set("relay_state", *m.relayState);
  if (m.sigAlg) o->set("sig_alg", *m.sigAlg);
  o->set("xml", m.xml);
  return o;
}

Array::Ptr strings(const std::vector<std::string>& v) {
  Array::Ptr a = new Array;
  for (auto& s : v) a->add(s);
  return a;
}

std::vector<std::string> stringsFrom(const Array::Ptr& a) {
  std::vector<std::string> out;
  if (a)
    for (size_t i = 0; i < a->size(); ++i) out.push_back(a->getElement<std::string>(static_cast<unsigned>(i)));
  return out;
}

template <class T>
void setOptional(Object::Ptr& o, const std::string& key, const std::optional<T>& v) {
  if (v) o->set(key, *v);
}

std::optional<std::string> optString(const Object::Ptr& o, const std::string& key) {
  if (!o->has(key) || o->isNull(key)) return std::nullopt;
  return o->getValue<std::string>(key);
}

}  // namespace

bool carriesSamlMessage(const web::HttpRequestData& request) {
  auto q = request.url.find('?');
  std::string_view query = q == std::string::npos ? std::string_view{} : std::string_view(request.url).substr(q + 1);
  return hasField(query, "SAMLRequest") || hasField(query, "SAMLResponse") || hasField(request.body, "SAMLRequest") ||
         hasField(request.body, "SAMLResponse");
}

std::string writeFlowRecord(const FlowRecord& r) {
  auto o = jsonObject();
  o->set("format", kRecordFormat);
  o->set("created", r.created);
  o->set("note", "the password field's value is recorded as \"***\" in the login POST; replay never re-sends that exchange");
  auto idp = jsonObject();
  idp->set("entity_id", r.idpEntityId);
  idp->set("metadata_source", r.idpMetadataSource);
  idp->set("signing_certificates", strings(r.idpCertificates));
  o->set("idp", idp);
  auto sp = jsonObject();
  sp->set("entity_id", r.spEntityId);
  sp->set("acs_url", r.acsUrl);
  o->set("sp", sp);
  o->set("user", r.user);
  auto req = jsonObject();
  req->set("id", r.requestId);
  req->set("binding", r.binding);
  req->set("signed", r.requestSigned);
  setOptional(req, "relay_state", r.relayState);
  req->set("xml", r.requestXml);
  o->set("authn_request", req);
  if (r.responseXml) {
    auto resp = jsonObject();
    resp->set("xml", *r.responseXml);
    setOptional(resp, "relay_state", r.returnedRelayState);
    o->set("response", resp);
  }
  auto outcome = jsonObject();
  outcome->set("result", r.result);
  outcome->set("exit_code", r.exitCode);
  if (!r.detail.empty()) outcome->set("detail", r.detail);
  setOptional(outcome, "failed_check", r.failedCheck);
  o->set("outcome", outcome);
  auto verification = jsonObject();
  verification->set("clock_skew_seconds", r.clockSkewSeconds);
  verification->set("allow_sha1", r.allowSha1);
  o->set("verification", verification);
  auto cache = jsonObject();
  cache->set("accepted_ids", strings(r.acceptedIds));
  o->set("replay_cache", cache);

  Array::Ptr exchanges = new Array;
  for (size_t i = 0; i < r.exchanges.size(); ++i) {
    const Exchange& ex = r.exchanges[i];
    auto e = jsonObject();
    e->set("step", static_cast<int>(i + 1));
    e->set("purpose", ex.purpose);
    auto rq = jsonObject();
    rq->set("method", ex.request.method);
    rq->set("url", ex.request.url);
    rq->set("headers", headersJson(ex.request.headers));
    setBody(rq, ex.request.body);
    e->set("request", rq);
    if (!ex.masked.empty()) e->set("masked", strings(ex.masked));
    if (carriesSamlMessage(ex.request)) {
      auto m = decodeMessage(ex.request.body.empty() ? ex.request.url : ex.request.body);
      if (m) e->set("saml_sent", samlJson(*m));
    }
    if (ex.response) {
      auto rs = jsonObject();
      rs->set("status", ex.response->status);
      rs->set("reason", ex.response->reason);
      rs->set("headers", headersJson(ex.response->headers));
      setBody(rs, ex.response->body);
      e->set("response", rs);
      if (ex.response->body.find("SAMLResponse") != std::string::npos)
        if (auto m = decodeMessage(ex.response->body, "SAMLResponse")) e->set("saml_received", samlJson(*m));
    } else {
      e->set("error", ex.error);
    }
    exchanges->add(e);
  }
  o->set("exchanges", exchanges);
  std::ostringstream ss;
  o->stringify(ss, 2);
  return ss.str() + "\n";
}

Result<FlowRecord> readFlowRecord(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    auto root = parser.parse(std::string(json)).extract<Object::Ptr>();
    if (!root || root->optValue<std::string>("format", "") != kRecordFormat)
      return invalid(std::string("not a samlflow recording (format ") + kRecordFormat + " expected)");
    FlowRecord r;
    r.created = root->optValue<std::string>("created", "");
    if (auto idp = root->getObject("idp")) {
      r.idpEntityId = idp->optValue<std::string>("entity_id", "");
      r.idpMetadataSource = idp->optValue<std::string>("metadata_source", "");
      r.idpCertificates = stringsFrom(idp->getArray("signing_certificates"));
    }
    if (auto sp = root->getObject("sp")) {
      r.spEntityId = sp->optValue<std::string>("entity_id", "");
      r.acsUrl = sp->optValue<std::string>("acs_url", "");
    }
    r.user = root->optValue<std::string>("user", "");
    if (auto req = root->getObject("authn_request")) {
      r.requestId = req->optValue<std::string>("id", "");
      r.binding = req->optValue<std::string>("binding", "");
      r.requestSigned = req->optValue<bool>("signed", false);
      r.relayState = optString(req, "relay_state");
      r.requestXml = req->optValue<std::string>("xml", "");
    }
    if (auto resp = root->getObject("response")) {
      r.responseXml = optString(resp, "xml");
      r.returnedRelayState = optString(resp, "relay_state");
    }
    if (auto out = root->getObject("outcome")) {
      r.result = out->optValue<std::string>("result", "");
      r.exitCode = out->optValue<int>("exit_code", 1);
      r.detail = out->optValue<std::string>("detail", "");
      r.failedCheck = optString(out, "failed_check");
    }
    if (auto v = root->getObject("verification")) {
      r.clockSkewSeconds = v->optValue<long>("clock_skew_seconds", 60);
      r.allowSha1 = v->optValue<bool>("allow_sha1", false);
    }
    if (auto c = root->getObject("replay_cache")) r.acceptedIds = stringsFrom(c->getArray("accepted_ids"));
    if (auto exs = root->getArray("exchanges")) {
      for (size_t i = 0; i < exs->size(); ++i) {
        auto e = exs->getObject(static_cast<unsigned>(i));
        if (!e) return invalid("exchange " + std::to_string(i + 1) + " is not an object");
        Exchange ex;
        ex.purpose = e->optValue<std::string>("purpose", "");
        auto rq = e->getObject("request");
        if (!rq) return invalid("exchange " + std::to_string(i + 1) + " has no request");
        ex.request.method = rq->optValue<std::string>("method", "GET");
        ex.request.url = rq->optValue<std::string>("url", "");
        ex.request.headers = headersFrom(rq->getArray("headers"));
        auto body = getBody(rq);
        if (!body) return invalid("exchange " + std::to_string(i + 1) + " request body: " + body.error().detail);
        ex.request.body = *body;
        ex.masked = stringsFrom(e->getArray("masked"));
        if (auto rs = e->getObject("response")) {
          web::HttpResponseData d;
          d.status = rs->optValue<int>("status", 0);
          d.reason = rs->optValue<std::string>("reason", "");
          d.headers = headersFrom(rs->getArray("headers"));
          auto rb = getBody(rs);
          if (!rb) return invalid("exchange " + std::to_string(i + 1) + " response body: " + rb.error().detail);
          d.body = *rb;
          ex.response = std::move(d);
        } else {
          ex.error = e->optValue<std::string>("error", "");
        }
        r.exchanges.push_back(std::move(ex));
      }
    }
    return r;
  } catch (const Poco::Exception& e) {
    return invalid("not valid JSON: " + e.displayText());
  } catch (const std::exception& e) {
    return invalid(std::string("not a readable recording: ") + e.what());
  }
}

}  // namespace propusk::cli::samlflow
