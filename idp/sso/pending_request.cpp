#include "idp/sso/pending_request.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <sstream>

namespace propusk::sso {

policy::RequestedContext PendingRequest::requested() const {
  policy::RequestedContext r;
  if (requestedComparison == "minimum") r.comparison = policy::Comparison::Minimum;
  else if (requestedComparison == "better") r.comparison = policy::Comparison::Better;
  else if (requestedComparison == "maximum") r.comparison = policy::Comparison::Maximum;
  r.classRefs = requestedClassRefs;
  return r;
}

std::string encodePending(const PendingRequest& p) {
  Poco::JSON::Object o;
  o.set("sp", p.spEntityId);
  if (p.requestId) o.set("request_id", *p.requestId);
  o.set("acs", p.acsUrl);
  if (p.relayState) o.set("relay_state", *p.relayState);
  o.set("nameid_format", p.nameIdFormat);
  o.set("force_authn", p.forceAuthn);
  o.set("is_passive", p.isPassive);
  o.set("created", static_cast<Poco::Int64>(p.createdAt.time_since_epoch().count()));
  auto list = [&](const char* name, const std::vector<std::string>& v) {
    if (v.empty()) return;
    Poco::JSON::Array a;
    for (auto& x : v) a.add(x);
    o.set(name, a);
  };
  if (!p.requestedComparison.empty()) o.set("rac_comparison", p.requestedComparison);
  list("rac_class_refs", p.requestedClassRefs);
  if (p.proxyCount) o.set("proxy_count", static_cast<Poco::Int64>(*p.proxyCount));
  list("idp_list", p.idpList);
  list("requester_ids", p.requesterIds);
  if (p.localCannotSatisfy) o.set("local_cannot_satisfy", true);
  if (!p.returnTo.empty()) o.set("return_to", p.returnTo);
  std::ostringstream ss;
  o.stringify(ss);
  return ss.str();
}

std::optional<PendingRequest> decodePending(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    PendingRequest p;
    p.spEntityId = o->getValue<std::string>("sp");
    if (o->has("request_id")) p.requestId = o->getValue<std::string>("request_id");
    p.acsUrl = o->getValue<std::string>("acs");
    if (o->has("relay_state")) p.relayState = o->getValue<std::string>("relay_state");
    p.nameIdFormat = o->getValue<std::string>("nameid_format");
    p.forceAuthn = o->getValue<bool>("force_authn");
    p.isPassive = o->getValue<bool>("is_passive");
    p.createdAt = TimePoint{std::chrono::seconds(o->getValue<Poco::Int64>("created"))};
    auto list = [&](const char* name, std::vector<std::string>& v) {
      if (auto a = o->getArray(name))
        for (std::size_t i = 0; i < a->size(); ++i) v.push_back(a->getElement<std::string>(i));
    };
    if (o->has("rac_comparison")) p.requestedComparison = o->getValue<std::string>("rac_comparison");
    list("rac_class_refs", p.requestedClassRefs);
    if (o->has("proxy_count")) p.proxyCount = static_cast<unsigned>(o->getValue<Poco::Int64>("proxy_count"));
    list("idp_list", p.idpList);
    list("requester_ids", p.requesterIds);
    p.localCannotSatisfy = o->optValue<bool>("local_cannot_satisfy", false);
    p.returnTo = o->optValue<std::string>("return_to", "");
    return p;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

}  // namespace propusk::sso
