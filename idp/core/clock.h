// Time comes from an injected Clock so that tests can fix it.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace propusk {

using TimePoint = std::chrono::sys_seconds;

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
 public:
  TimePoint now() const override;
};

class FixedClock final : public Clock {
 public:
  explicit FixedClock(TimePoint t) : t_(t) {}
  // Accepts what parseXsDateTime accepts; throws std::invalid_argument otherwise (tests only).
  explicit FixedClock(std::string_view iso);
  TimePoint now() const override { return t_; }
  void advance(std::chrono::seconds d) { t_ += d; }

 private:
  TimePoint t_;
};

// xs:dateTime as SAML uses it (core §1.3.3): UTC, "Z" suffix, no fractional seconds written.
std::string formatXsDateTime(TimePoint t);
// Accepts YYYY-MM-DDThh:mm[:ss[.fff]](Z|±hh:mm); fractions are truncated.
std::optional<TimePoint> parseXsDateTime(std::string_view s);

}  // namespace propusk
