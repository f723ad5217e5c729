#include "idp/core/cidr.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace propusk {

namespace {

// A literal address into 16 bytes (IPv4 in the last 4, v6 false); IPv4-mapped IPv6 is IPv4.
bool parseAddress(std::string_view text, bool& v6, std::array<std::uint8_t, 16>& out) {
  if (text.empty() || text.size() > 45) return false;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  out.fill(0);
  in_addr a4;
  if (inet_pton(AF_INET, buf, &a4) == 1) {
    v6 = false;
    std::memcpy(out.data() + 12, &a4, 4);
    return true;
  }
  in6_addr a6;
  if (inet_pton(AF_INET6, buf, &a6) == 1) {
    std::memcpy(out.data(), &a6, 16);
    static constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    v6 = std::memcmp(out.data(), kMapped, 12) != 0;
    if (!v6) std::memset(out.data(), 0, 12);
    return true;
  }
  return false;
}

bool prefixMatches(const std::array<std::uint8_t, 16>& a, const std::array<std::uint8_t, 16>& b, unsigned bits,
                   unsigned offset) {
  for (unsigned i = 0; i < bits; ++i) {
    unsigned bit = offset + i;
    std::uint8_t mask = static_cast<std::uint8_t>(0x80 >> (bit % 8));
    if ((a[bit / 8] & mask) != (b[bit / 8] & mask)) return false;
  }
  return true;
}

}  // namespace

Result<Cidr> Cidr::parse(std::string_view text) {
  auto slash = text.find('/');
  std::string_view addr = text.substr(0, slash);
  Cidr c;
  if (!parseAddress(addr, c.v6_, c.bytes_)) return invalid("'" + std::string(text) + "' is not an IP address or range");
  const unsigned max = c.v6_ ? 128 : 32;
  c.prefix_ = max;
  if (slash != std::string_view::npos) {
    auto p = text.substr(slash + 1);
    unsigned v = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), v);
    if (p.empty() || ec != std::errc() || end != p.data() + p.size() || v > max)
      return invalid("'" + std::string(text) + "': the prefix length must be 0.." + std::to_string(max));
    c.prefix_ = v;
  }
  const unsigned offset = c.v6_ ? 0 : 96;
  for (unsigned bit = offset + c.prefix_; bit < 128; ++bit)
    if (c.bytes_[bit / 8] & (0x80 >> (bit % 8)))
      return invalid("'" + std::string(text) + "' has bits set after the prefix (did you mean " +
                     [&] {
                       Cidr n = c;
                       for (unsigned b = offset + c.prefix_; b < 128; ++b) n.bytes_[b / 8] &= ~(0x80 >> (b % 8));
                       return n.text();
                     }() +
                     "?)");
  return c;
}

bool Cidr::contains(std::string_view address) const {
  bool v6 = false;
  std::array<std::uint8_t, 16> a;
  if (!parseAddress(address, v6, a) || v6 != v6_) return false;
  return prefixMatches(a, bytes_, prefix_, v6_ ? 0 : 96);
}

std::string Cidr::text() const {
  char buf[INET6_ADDRSTRLEN];
  if (v6_) inet_ntop(AF_INET6, bytes_.data(), buf, sizeof buf);
  else inet_ntop(AF_INET, bytes_.data() + 12, buf, sizeof buf);
  return std::string(buf) + "/" + std::to_string(prefix_);
}

Result<std::vector<Cidr>> parseCidrList(std::string_view text) {
  std::vector<Cidr> out;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto item = text.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (!item.empty()) {
      auto c = Cidr::parse(item);
      if (!c) return std::unexpected(c.error());
      out.push_back(*c);
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

bool anyContains(const std::vector<Cidr>& list, std::string_view address) {
  if (list.empty()) return true;
  for (const auto& c : list)
    if (c.contains(address)) return true;
  return false;
}

std::string throttleKey(std::string_view address) {
  bool v6 = false;
  std::array<std::uint8_t, 16> a;
  if (!parseAddress(address, v6, a)) return std::string(address.substr(0, 64));
  char buf[INET6_ADDRSTRLEN];
  if (!v6) {
    inet_ntop(AF_INET, a.data() + 12, buf, sizeof buf);
    return buf;
  }
  std::memset(a.data() + 8, 0, 8);
  inet_ntop(AF_INET6, a.data(), buf, sizeof buf);
  return std::string(buf) + "/64";
}

}  // namespace propusk
