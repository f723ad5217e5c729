#include "idp/web/refusal.h"

#include "idp/core/json_text.h"
#include "idp/core/printable.h"

namespace propusk::web {

namespace {
// An entityID may be up to 1024 characters (metadata §2.3.2): kept whole, so that `sp show`
// finds a long one's refusals and two long ones never share a target.
constexpr std::size_t kMaxSender = 1024;
}  // namespace

std::string refusalDetails(std::string_view messageId, std::string_view step, const Error& error,
                           const RefusalSource& source) {
  std::string d = R"({"id":)" + jsonString(printable(messageId, 100)) + R"(,"step":)" + jsonString(step) +
                  R"(,"detail":)" + jsonString(printable(error.detail, 200));
  if (!error.remedy.empty()) d += R"(,"remedy":)" + jsonString(printable(error.remedy, 400));
  d += std::string(R"(,"authenticated":)") + (source.authenticated ? "true" : "false");
  if (!source.remote.empty()) d += R"(,"remote":)" + jsonString(printable(source.remote, 64));
  return d + "}";
}

void recordRefusal(WebContext& ctx, std::string_view actor, std::string_view action, const RefusalSource& source,
                   std::string_view messageId, std::string_view step, const Error& error) {
  // What the sender wrote is escaped (and capped) before it reaches the append-only log.
  const std::string target = printable(source.sender.empty() ? std::string_view("-") : source.sender, kMaxSender);
  ctx.store.appendAudit({std::string(actor), std::string(action), target, "refused",
                         refusalDetails(messageId, step, error, source)});
  ctx.log.warning("%s: from %s%s, step %s: %s%s", std::string(action), printable(target, 300),
                  source.authenticated ? std::string() : " (not authenticated, " + printable(source.remote, 64) + ")",
                  std::string(step), printable(error.detail, 300),
                  error.remedy.empty() ? std::string() : "; remedy: " + printable(error.remedy, 400));
}

}  // namespace propusk::web
