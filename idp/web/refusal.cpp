#include "idp/web/refusal.h"

#include "idp/core/json_text.h"
#include "idp/core/printable.h"

namespace propusk::web {

std::string refusalDetails(std::string_view messageId, std::string_view step, const Error& error) {
  std::string d = R"({"id":)" + jsonString(printable(messageId, 100)) + R"(,"step":)" + jsonString(step) +
                  R"(,"detail":)" + jsonString(printable(error.detail, 200));
  if (!error.remedy.empty()) d += R"(,"remedy":)" + jsonString(printable(error.remedy, 400));
  return d + "}";
}

void recordRefusal(WebContext& ctx, std::string_view actor, std::string_view action, std::string_view sender,
                   std::string_view messageId, std::string_view step, const Error& error) {
  // What the sender wrote is clipped before it reaches the append-only log.
  const std::string target = printable(sender.empty() ? std::string_view("-") : sender, 200);
  ctx.store.appendAudit({std::string(actor), std::string(action), target, "refused",
                         refusalDetails(messageId, step, error)});
  ctx.log.warning("%s: from %s, step %s: %s%s", std::string(action), target, std::string(step),
                  printable(error.detail, 300), error.remedy.empty() ? std::string() : "; remedy: " + printable(error.remedy, 400));
}

}  // namespace propusk::web
