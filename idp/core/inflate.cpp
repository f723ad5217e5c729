#include "idp/core/inflate.h"

#include <zlib.h>

#include <stdexcept>

namespace propusk {

namespace {
// z_stream lives on the stack; this only guarantees inflateEnd/deflateEnd.
struct InflateStream {
  z_stream s{};
  bool ok = inflateInit2(&s, -MAX_WBITS) == Z_OK;  // negative: raw, no zlib header
  ~InflateStream() {
    if (ok) inflateEnd(&s);
  }
};
struct DeflateStream {
  z_stream s{};
  bool ok = deflateInit2(&s, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK;
  ~DeflateStream() {
    if (ok) deflateEnd(&s);
  }
};
}  // namespace

Result<std::string> inflateRaw(std::string_view in, std::size_t maxBytes) {
  InflateStream z;
  if (!z.ok) return responderError("inflateInit2 failed");
  z.s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.s.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  for (;;) {
    z.s.next_out = reinterpret_cast<Bytef*>(buf);
    z.s.avail_out = sizeof buf;
    int rc = inflate(&z.s, Z_NO_FLUSH);
    size_t produced = sizeof buf - z.s.avail_out;
    if (out.size() + produced > maxBytes)
      return invalid("inflated message larger than " + std::to_string(maxBytes) + " bytes");
    out.append(buf, produced);
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.s.avail_in == 0) return invalid("DEFLATE data is truncated");
    if (rc != Z_OK) return invalid("not valid DEFLATE data");
  }
  return out;
}

std::string deflateRaw(std::string_view in) {
  DeflateStream z;
  if (!z.ok) throw std::runtime_error("deflateInit2 failed");
  z.s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.s.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    z.s.next_out = reinterpret_cast<Bytef*>(buf);
    z.s.avail_out = sizeof buf;
    rc = deflate(&z.s, Z_FINISH);
    out.append(buf, sizeof buf - z.s.avail_out);
  } while (rc == Z_OK);
  if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
  return out;
}

}  // namespace propusk
