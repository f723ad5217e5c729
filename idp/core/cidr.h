// Client address ranges (CIDR, RFC 4632; IPv6 RFC 4291 §2.3) for allow-lists: `[login]
// allow_ip`, `sp set --allow-ip`. IPv4-mapped IPv6 addresses (::ffff:a.b.c.d, which a dual-stack
// listener reports) match IPv4 ranges.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "idp/core/result.h"

namespace propusk {

class Cidr {
 public:
  // "10.0.0.0/8", "2001:db8::/32", or a bare address (a range of one). Refused with the reason:
  // bad syntax, a prefix longer than the family allows, bits set after the prefix.
  static Result<Cidr> parse(std::string_view text);
  // `address` is a literal IPv4 or IPv6 address (a port or zone is not an address: false).
  bool contains(std::string_view address) const;
  std::string text() const;  // canonical, e.g. "10.0.0.0/8"

 private:
  bool v6_ = false;
  std::array<std::uint8_t, 16> bytes_{};
  unsigned prefix_ = 0;
};

// "a/8, b/16": each parsed; an error names the entry. Empty text: an empty list.
Result<std::vector<Cidr>> parseCidrList(std::string_view text);
// Empty `list`: every address.
bool anyContains(const std::vector<Cidr>& list, std::string_view address);

// The part of an address that one client is throttled by: an IPv4 address as it is, IPv6 by
// its /64 (one subscriber's prefix; per address an attacker would have 2^64 to spend).
std::string throttleKey(std::string_view address);

}  // namespace propusk
