#include "idp/auth/factor_key.h"

#include <sys/stat.h>

#include <fstream>
#include <stdexcept>

#include "idp/core/base64.h"
#include "idp/crypto/aead.h"
#include "idp/crypto/digest.h"
#include "idp/crypto/hmac.h"

namespace propusk::auth {

namespace {
std::optional<std::string> fromHex(std::string_view hex) {
  if (hex.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    auto nib = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    int hi = nib(hex[i]), lo = nib(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}
}  // namespace

FactorKey FactorKey::fromBytes(std::string bytes) {
  if (bytes.size() != 32) throw std::invalid_argument("factor key must be 32 bytes");
  return FactorKey(std::move(bytes));
}

FactorKey FactorKey::load(const std::filesystem::path& file, bool create, Random& random) {
  const std::string name = file.string();
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) {
    if (!create) throw std::runtime_error("factor key " + name + ": no such file (run `propuskctl init`, or copy it "
                                          "from another instance)");
    auto b = random.bytes(32);
    std::string key(b.begin(), b.end());
    // O_EXCL semantics through a temporary name would be nicer; the data dir is ours (0700).
    std::ofstream out(file, std::ios::out | std::ios::trunc);
    if (!out) throw std::runtime_error("factor key " + name + ": cannot create");
    std::filesystem::permissions(file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::replace);
    out << crypto::toHex(key) << "\n";
    out.close();
    if (!out) throw std::runtime_error("factor key " + name + ": cannot write");
    return FactorKey(std::move(key));
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO))
    throw std::runtime_error("factor key " + name + ": readable by others (chmod 600 it)");
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line)) throw std::runtime_error("factor key " + name + ": cannot read");
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  auto key = fromHex(line);
  if (!key || key->size() != 32) throw std::runtime_error("factor key " + name + ": not 64 hex digits");
  return FactorKey(std::move(*key));
}

std::string FactorKey::seal(std::string_view plaintext, std::string_view aad, Random& random) const {
  return "v1:" + base64Encode(crypto::aesGcmSeal(key_, plaintext, aad, random));
}

std::optional<std::string> FactorKey::open(std::string_view sealed, std::string_view aad) const {
  if (!sealed.starts_with("v1:")) return std::nullopt;
  auto raw = base64Decode(sealed.substr(3));
  if (!raw) return std::nullopt;
  return crypto::aesGcmOpen(key_, *raw, aad);
}

std::string FactorKey::mac(std::string_view purpose, std::string_view data) const {
  const std::string derived = crypto::hmacSha256(key_, "propusk factor key: " + std::string(purpose));
  return crypto::toHex(crypto::hmacSha256(derived, data));
}

std::string FactorKey::fingerprint() const { return mac("fingerprint", "propusk"); }

}  // namespace propusk::auth
