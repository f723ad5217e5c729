#include "idp/cli/samlflow/report.h"

#include "idp/cli/samlflow/env.h"
#include "idp/core/printable.h"
#include "idp/xml/dom.h"
#include "idp/xml/namespaces.h"
#include "idp/xml/parser.h"

namespace propusk::cli::samlflow {

NameIdQualifiers nameIdQualifiers(std::string_view messageXml) {
  NameIdQualifiers q;
  auto doc = xml::parseSecure(messageXml, saml::sp::responseParseLimits());  // as it was verified
  if (!doc) return q;
  xmlNode* root = xmlDocGetRootElement(doc->get());
  // The verifier allows one Assertion at most, so it is the one it checked.
  xmlNode* assertion = xml::isElement(root, xml::ns::kSaml, "Assertion") ? root : xml::child(root, xml::ns::kSaml, "Assertion");
  xmlNode* nameId = xml::child(xml::child(assertion, xml::ns::kSaml, "Subject"), xml::ns::kSaml, "NameID");
  if (!nameId) return q;
  q.nameQualifier = xml::attr(nameId, "NameQualifier");
  q.spNameQualifier = xml::attr(nameId, "SPNameQualifier");
  return q;
}

void printChecks(std::ostream& out, const saml::sp::ResponseVerification& v) {
  auto line = [&](std::string_view result, std::string_view step, const std::string& note) {
    std::string s(step);
    out << result << std::string(result.size() < 8 ? 8 - result.size() : 1, ' ') << s
        << std::string(s.size() < 16 ? 16 - s.size() : 1, ' ') << printable(note, 400) << "\n";
  };
  for (auto& c : v.checks) line(c.skipped ? "skipped" : "ok", c.step, c.note);
  if (v.failedStep) line("FAILED", *v.failedStep, v.failure);
}

Poco::JSON::Array::Ptr checksJson(const saml::sp::ResponseVerification& v) {
  Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
  for (auto& c : v.checks) {
    auto o = jsonObject();
    o->set("check", std::string(c.step));
    o->set("result", c.skipped ? "skipped" : "ok");
    o->set("detail", c.note);
    arr->add(o);
  }
  if (v.failedStep) {
    auto o = jsonObject();
    o->set("check", std::string(*v.failedStep));
    o->set("result", "failed");
    o->set("detail", v.failure);
    arr->add(o);
  }
  return arr;
}

void printSubject(std::ostream& out, const saml::sp::ResponseVerification& v, std::string_view messageXml) {
  NameIdQualifiers q = nameIdQualifiers(messageXml);
  out << "NameID: " << printable(v.nameId, 1024) << "\n"
      << "NameID Format: " << printable(v.nameIdFormat, 1024) << "\n";
  if (q.nameQualifier) out << "NameQualifier: " << printable(*q.nameQualifier, 1024) << "\n";
  if (q.spNameQualifier) out << "SPNameQualifier: " << printable(*q.spNameQualifier, 1024) << "\n";
  out << "Issuer: " << printable(v.issuer, 1024) << "\n";
  if (v.sessionIndex) out << "SessionIndex: " << printable(*v.sessionIndex, 200) << "\n";
  if (v.authnContextClassRef) out << "AuthnContext: " << printable(*v.authnContextClassRef, 200) << "\n";
  if (v.notOnOrAfter) out << "Valid until: " << formatXsDateTime(*v.notOnOrAfter) << "\n";
  out << "Attributes:" << (v.attributes.empty() ? " none" : "") << "\n";
  for (auto& a : v.attributes) {
    std::string label = a.friendlyName.empty() ? a.name : a.friendlyName + " (" + a.name + ")";
    for (auto& value : a.values) out << "  " << printable(label, 300) << ": " << printable(value, 2048) << "\n";
    if (a.values.empty()) out << "  " << printable(label, 300) << ": (no value)\n";
  }
}

void addSubjectJson(Poco::JSON::Object::Ptr& o, const saml::sp::ResponseVerification& v, std::string_view messageXml) {
  NameIdQualifiers q = nameIdQualifiers(messageXml);
  o->set("name_id", v.nameId);
  o->set("name_id_format", v.nameIdFormat);
  if (q.nameQualifier) o->set("name_qualifier", *q.nameQualifier);
  if (q.spNameQualifier) o->set("sp_name_qualifier", *q.spNameQualifier);
  o->set("issuer", v.issuer);
  if (v.sessionIndex) o->set("session_index", *v.sessionIndex);
  if (v.authnContextClassRef) o->set("authn_context", *v.authnContextClassRef);
  if (v.notOnOrAfter) o->set("valid_until", formatXsDateTime(*v.notOnOrAfter));
  Poco::JSON::Array::Ptr attrs = new Poco::JSON::Array;
  for (auto& a : v.attributes) {
    auto j = jsonObject();
    j->set("name", a.name);
    if (!a.friendlyName.empty()) j->set("friendly_name", a.friendlyName);
    if (!a.nameFormat.empty()) j->set("name_format", a.nameFormat);
    Poco::JSON::Array::Ptr values = new Poco::JSON::Array;
    for (auto& value : a.values) values->add(value);
    j->set("values", values);
    attrs->add(j);
  }
  o->set("attributes", attrs);
}

std::string failureLine(const saml::sp::ResponseVerification& v) {
  if (!v.failedStep) return {};
  return std::string(*v.failedStep) + ": " + v.failure;
}

}  // namespace propusk::cli::samlflow
