#include "idp/notify/notifier.h"

namespace propusk::notify {

std::string_view channelName(Channel c) { return c == Channel::Email ? "email" : "sms"; }

std::string maskDestination(std::string_view to) {
  if (auto at = to.rfind('@'); at != std::string_view::npos) {
    // The first character of the local part and the whole domain.
    if (at == 0) return "***" + std::string(to);
    return std::string(to.substr(0, 1)) + "***" + std::string(to.substr(at));
  }
  // A phone number: its prefix and last four digits.
  if (to.size() <= 6) return std::string(to.size(), '*');
  return std::string(to.substr(0, 2)) + std::string(to.size() - 6, '*') + std::string(to.substr(to.size() - 4));
}

}  // namespace propusk::notify
