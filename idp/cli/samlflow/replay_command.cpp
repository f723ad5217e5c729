// replay: re-send a recording's SAML messages byte for byte and check that the IdP (and a
// strict SP) refuse them now.
//
// When is a re-sent AuthnRequest "refused"? The criterion is generic, not tuned to one
// IdP: after following redirects, the IdP shows neither a login form nor a Success
// Response. An HTTP error, an error page without a login form, or a Response with a
// non-Success status all count as refused; a login form (the IdP took the request and
// asks who you are) or a Success Response count as accepted.
#include <set>

#include "idp/cli/samlflow/browser.h"
#include "idp/cli/samlflow/env.h"
#include "idp/cli/samlflow/flow_record.h"
#include "idp/cli/samlflow/html_forms.h"
#include "idp/cli/samlflow/idp_source.h"
#include "idp/cli/samlflow/login_flow.h"
#include "idp/cli/samlflow/message_decoder.h"
#include "idp/core/base64.h"
#include "idp/core/printable.h"
#include "idp/crypto/keys.h"
#include "idp/saml/sp/response_verifier.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::cli::samlflow {

namespace {

struct Verdict {
  bool accepted = false;
  std::string summary;
};

std::vector<std::string> statusCodesOf(const std::string& xmlText) {
  std::vector<std::string> codes;
  auto doc = xml::parseSecure(xmlText, saml::sp::responseParseLimits());
  if (!doc) return codes;
  xmlNode* root = xmlDocGetRootElement(doc->get());
  xmlNode* status = xml::child(root, xml::ns::kSamlp, "Status");
  for (xmlNode* c = xml::child(status, xml::ns::kSamlp, "StatusCode"); c; c = xml::child(c, xml::ns::kSamlp, "StatusCode"))
    codes.push_back(xml::collapsedAttr(c, "Value").value_or(""));
  return codes;
}

std::string shortUrl(const std::string& url) {
  auto q = url.find('?');
  return printable(url.substr(0, q), 200) + (q == std::string::npos ? "" : "?...");
}

Verdict judge(const std::string& url, const web::HttpResponseData& r) {
  std::string where = "HTTP " + std::to_string(r.status) + " at " + shortUrl(url);
  auto page = readPage(r.body, url, charsetOf(r.headers));
  if (page) {
    if (const HtmlForm* f = findFormWith(*page, "SAMLResponse")) {
      auto xml = base64Decode(f->value("SAMLResponse").value_or(""));
      auto codes = xml ? statusCodesOf(*xml) : std::vector<std::string>{};
      std::string list;
      for (auto& c : codes) list += (list.empty() ? "" : " / ") + c;
      bool success = !codes.empty() && codes[0] == "urn:oasis:names:tc:SAML:2.0:status:Success";
      return {success, (success ? "a Success Response" : "a Response with status " + (list.empty() ? "(unreadable)" : list)) +
                           " (" + where + ")"};
    }
    if (findLoginForm(*page)) return {true, "the login form (" + where + ")"};
  }
  std::string title = page && !page->title.empty() ? " \"" + printable(page->title, 120) + "\"" : "";
  std::string alert = page && !page->alertText.empty() ? ": " + printable(page->alertText, 200) : "";
  if (r.status >= 400) return {false, "an error (" + where + title + alert + ")"};
  return {false, "a page with neither a login form nor a Response (" + where + title + alert + ")"};
}

struct StepReport {
  std::string what;
  std::string expectation;
  std::string then;
  std::string now;
  bool met = false;
  bool skipped = false;
};

}  // namespace

int cmdReplay(Env& env, const ParsedArgs& args) {
  const std::string& file = args.positional[0];
  auto record = readFlowRecord(readInput(env, file, "flow", 64u << 20));
  if (!record) throw CliError("flow: " + file + ": " + record.error().detail);
  web::HttpClientOptions http = httpOptions(args);
  std::vector<StepReport> steps;

  // 1. Every recorded request that carried a SAML message, re-sent exactly (the login
  //    POST is not among them: it carries a password, recorded masked).
  const auto& ex = record->exchanges;
  for (std::size_t i = 0; i < ex.size(); ++i) {
    if (!carriesSamlMessage(ex[i].request) || !ex[i].masked.empty()) continue;
    StepReport s;
    auto m = decodeMessage(ex[i].request.body.empty() ? ex[i].request.url : ex[i].request.body);
    std::string kind = m ? m->field : "SAML message";
    std::string id;
    if (m) {
      if (auto doc = xml::parseSecure(m->xml)) {
        xmlNode* root = xmlDocGetRootElement(doc->get());
        id = xml::attr(root, "ID").value_or("");
        kind = reinterpret_cast<const char*>(root->name);  // AuthnRequest, LogoutRequest...
      }
    }
    s.what = kind + (id.empty() ? "" : " " + id) + " re-sent byte for byte (" + ex[i].request.method + " " +
             shortUrl(ex[i].request.url) + ", step " + std::to_string(i + 1) + ")";
    s.expectation = "a replayed " + kind + " is refused";
    std::size_t j = i;
    while (j + 1 < ex.size() && ex[j + 1].purpose == "redirect") ++j;
    if (ex[j].response) {
      auto v = judge(ex[j].request.url, *ex[j].response);
      s.then = (v.accepted ? "accepted: " : "refused: ") + v.summary;
    } else {
      s.then = "no answer: " + ex[j].error;
    }
    Browser browser(http, env.clock);
    auto landing = browser.resend(ex[i].request, "replay");
    if (!landing)
      throw CliError("http: replaying step " + std::to_string(i + 1) + ": " + httpFailure(landing.error().detail, http));
    auto now = judge(landing->url, landing->response);
    s.now = (now.accepted ? "accepted: " : "refused: ") + now.summary;
    s.met = !now.accepted;
    steps.push_back(std::move(s));
  }

  // 2. The Response the SP accepted, offered to the SP again: its replay cache (kept in
  //    the recording) and the time window must stop it.
  {
    StepReport s;
    s.what = "Response verified again as the SP";
    s.expectation = "a recorded Response is not accepted twice";
    if (!record->responseXml || record->result != "success") {
      s.skipped = true;
      s.met = true;
      s.then = "the recorded flow did not end with an accepted Response (" + record->result + ")";
      s.now = "not checked";
    } else {
      std::vector<crypto::X509Ptr> owned;
      std::vector<X509*> certs;
      for (auto& b64 : record->idpCertificates)
        if (auto c = crypto::loadCertificateBase64Der(b64)) {
          certs.push_back(c->get());
          owned.push_back(std::move(*c));
        }
      std::set<std::string, std::less<>> seen(record->acceptedIds.begin(), record->acceptedIds.end());
      saml::sp::ResponseExpectations e;
      e.idpEntityId = record->idpEntityId;
      e.idpCertificates = certs;
      e.spEntityId = record->spEntityId;
      e.acsUrl = record->acsUrl;
      e.requestId = record->requestId;
      e.now = env.clock.now();
      e.clockSkew = std::chrono::seconds(record->clockSkewSeconds);
      e.allowSha1 = record->allowSha1;
      e.seenIds = &seen;
      auto v = saml::sp::verifyResponse(*record->responseXml, e);
      s.what = "Response " + v.responseId + " verified again as the SP";
      s.then = "accepted (IDs entered into the replay cache)";
      s.now = v.ok() ? "accepted: it verified as fresh" : "refused at " + std::string(*v.failedStep) + ": " + v.failure;
      s.met = !v.ok();
    }
    steps.push_back(std::move(s));
  }

  std::size_t met = 0, counted = 0;
  for (auto& s : steps)
    if (!s.skipped) {
      ++counted;
      if (s.met) ++met;
    }
  int rc = met == counted ? kExitOk : kExitVerify;
  if (env.json) {
    auto o = jsonObject();
    o->set("flow", file);
    o->set("idp", record->idpEntityId);
    o->set("request_id", record->requestId);
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (std::size_t i = 0; i < steps.size(); ++i) {
      auto j = jsonObject();
      j->set("step", static_cast<int>(i + 1));
      j->set("what", steps[i].what);
      j->set("expectation", steps[i].expectation);
      j->set("then", steps[i].then);
      j->set("now", steps[i].now);
      j->set("result", steps[i].skipped ? "skipped" : steps[i].met ? "met" : "failed");
      arr->add(j);
    }
    o->set("steps", arr);
    o->set("expectations_met", static_cast<int>(met));
    o->set("expectations", static_cast<int>(counted));
    o->set("result", rc == kExitOk ? "ok" : "failed");
    env.printJson(o);
  } else {
    for (std::size_t i = 0; i < steps.size(); ++i) {
      auto& s = steps[i];
      env.io.out << "step " << i + 1 << ": " << s.what << "\n"
                 << "  then: " << s.then << "\n"
                 << "  now:  " << s.now << "\n"
                 << "  expectation: " << s.expectation << " — "
                 << (s.skipped ? "skipped" : s.met ? "met" : "NOT MET") << "\n";
    }
    env.io.out << met << " of " << counted << " expectations met\n";
  }
  if (rc != kExitOk)
    for (auto& s : steps)
      if (!s.skipped && !s.met) {
        env.error("replay: expectation not met: " + s.expectation + " (now " + s.now + ")");
        break;
      }
  return rc;
}

}  // namespace propusk::cli::samlflow
