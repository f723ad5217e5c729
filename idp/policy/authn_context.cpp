#include "idp/policy/authn_context.h"

#include <algorithm>
#include <array>

namespace propusk::policy {

namespace {
constexpr std::array<std::string_view, 4> kRanked = {kAcPassword, kAcPasswordProtectedTransport, kAcTimeSyncToken,
                                                     kAcRefedsMfa};
constexpr std::array<std::string_view, 6> kFactorNames = {"password", "upstream", "totp", "email", "sms", "recovery"};
}  // namespace

int authnContextRank(std::string_view classRef) {
  auto it = std::find(kRanked.begin(), kRanked.end(), classRef);
  return it == kRanked.end() ? -1 : static_cast<int>(it - kRanked.begin());
}

std::string_view factorName(Factor f) { return kFactorNames[static_cast<std::size_t>(f)]; }

std::optional<Factor> parseFactor(std::string_view s) {
  for (std::size_t i = 0; i < kFactorNames.size(); ++i)
    if (kFactorNames[i] == s) return static_cast<Factor>(i);
  return std::nullopt;
}

bool Factors::hasSecondFactor() const {
  return has(Factor::Totp) || has(Factor::Email) || has(Factor::Sms) || has(Factor::Recovery);
}

std::string Factors::encode() const {
  std::string out;
  for (std::size_t i = 0; i < kFactorNames.size(); ++i)
    if (has(static_cast<Factor>(i))) out += (out.empty() ? "" : ",") + std::string(kFactorNames[i]);
  return out;
}

Factors Factors::decode(std::string_view text) {
  Factors f;
  while (!text.empty()) {
    auto comma = text.find(',');
    if (auto one = parseFactor(text.substr(0, comma))) f.add(*one);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return f;
}

bool satisfies(std::string_view classRef, const RequestedContext& requested) {
  if (requested.classRefs.empty()) return true;
  const auto& refs = requested.classRefs;
  if (std::find(refs.begin(), refs.end(), classRef) != refs.end()) return requested.comparison != Comparison::Better;
  const int have = authnContextRank(classRef);
  if (have < 0 || requested.comparison == Comparison::Exact) return false;
  for (const auto& r : refs) {
    const int want = authnContextRank(r);
    if (want < 0) continue;
    switch (requested.comparison) {
      case Comparison::Minimum: if (have >= want) return true; break;
      case Comparison::Better: if (have > want) return true; break;
      case Comparison::Maximum: if (have <= want) return true; break;
      case Comparison::Exact: break;
    }
  }
  return false;
}

std::vector<std::string> supportedClasses(const Factors& factors, std::string_view upstreamClass) {
  std::vector<std::string> out;
  const bool first = factors.has(Factor::Password) || factors.has(Factor::Upstream);
  if (first && factors.hasSecondFactor()) out.emplace_back(kAcRefedsMfa);
  if (factors.has(Factor::Totp)) out.emplace_back(kAcTimeSyncToken);
  if (factors.has(Factor::Upstream) && !upstreamClass.empty()) out.emplace_back(upstreamClass);
  if (factors.has(Factor::Password)) {
    out.emplace_back(kAcPasswordProtectedTransport);
    out.emplace_back(kAcPassword);
  }
  // Strongest first; an unranked upstream class after the ranked ones it came with.
  std::stable_sort(out.begin(), out.end(),
                   [](const std::string& a, const std::string& b) { return authnContextRank(a) > authnContextRank(b); });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::optional<std::string> chooseClass(const Factors& factors, const RequestedContext& requested,
                                       std::string_view upstreamClass) {
  for (auto& c : supportedClasses(factors, upstreamClass))
    if (satisfies(c, requested)) return c;
  return std::nullopt;
}

}  // namespace propusk::policy
