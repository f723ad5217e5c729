#include "idp/crypto/openssl_handles.h"

#include <openssl/err.h>

namespace propusk::crypto {

std::string drainOpensslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

}  // namespace propusk::crypto
