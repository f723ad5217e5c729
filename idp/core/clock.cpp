#include "idp/core/clock.h"

#include <charconv>
#include <cstdio>
#include <stdexcept>

namespace propusk {

TimePoint SystemClock::now() const {
  return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
}

FixedClock::FixedClock(std::string_view iso) {
  auto t = parseXsDateTime(iso);
  if (!t) throw std::invalid_argument("FixedClock: bad time " + std::string(iso));
  t_ = *t;
}

std::string formatXsDateTime(TimePoint t) {
  using namespace std::chrono;
  auto days = floor<std::chrono::days>(t);
  year_month_day ymd{days};
  hh_mm_ss hms{t - days};
  const int year = int(ymd.year());
  char buf[64];
  if (year < 0 || year > 9999) {
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02ld:%02ld:%02ldZ", year, unsigned(ymd.month()),
                  unsigned(ymd.day()), long(hms.hours().count()), long(hms.minutes().count()),
                  long(hms.seconds().count()));
    return buf;
  }
  // Written by hand: four of these per Response, and snprintf showed in the SSO profile.
  auto two = [](char* o, long v) {
    o[0] = char('0' + v / 10);
    o[1] = char('0' + v % 10);
  };
  std::string out = "0000-00-00T00:00:00Z";
  two(out.data(), year / 100);
  two(out.data() + 2, year % 100);
  two(out.data() + 5, long(unsigned(ymd.month())));
  two(out.data() + 8, long(unsigned(ymd.day())));
  two(out.data() + 11, long(hms.hours().count()));
  two(out.data() + 14, long(hms.minutes().count()));
  two(out.data() + 17, long(hms.seconds().count()));
  return out;
}

namespace {
bool num(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (size_t i = pos; i < pos + len; ++i)
    if (s[i] < '0' || s[i] > '9') return false;
  std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return true;
}
}  // namespace

std::optional<TimePoint> parseXsDateTime(std::string_view s) {
  using namespace std::chrono;
  int y, mo, d, h, mi, sec = 0;
  if (!num(s, 0, 4, y) || s.size() < 16 || s[4] != '-' || !num(s, 5, 2, mo) || s[7] != '-' ||
      !num(s, 8, 2, d) || s[10] != 'T' || !num(s, 11, 2, h) || s[13] != ':' || !num(s, 14, 2, mi))
    return std::nullopt;
  size_t p = 16;
  if (p < s.size() && s[p] == ':') {
    if (!num(s, p + 1, 2, sec)) return std::nullopt;
    p += 3;
    if (p < s.size() && s[p] == '.') {
      ++p;
      size_t start = p;
      while (p < s.size() && s[p] >= '0' && s[p] <= '9') ++p;
      if (p == start) return std::nullopt;
    }
  }
  int offsetMin = 0;
  if (p == s.size()) {
    // No zone: SAML requires UTC, treat as such (core §1.3.3 says SHOULD NOT omit).
  } else if (s[p] == 'Z' && p + 1 == s.size()) {
  } else if ((s[p] == '+' || s[p] == '-') && p + 6 == s.size() && s[p + 3] == ':') {
    int oh, om;
    if (!num(s, p + 1, 2, oh) || !num(s, p + 4, 2, om) || oh > 14 || om > 59) return std::nullopt;
    offsetMin = (oh * 60 + om) * (s[p] == '-' ? -1 : 1);
  } else {
    return std::nullopt;
  }
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  year_month_day ymd{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
  if (!ymd.ok()) return std::nullopt;
  auto t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{sec > 59 ? 59 : sec};
  return TimePoint{t - minutes{offsetMin}};
}

}  // namespace propusk
