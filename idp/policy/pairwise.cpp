#include "idp/policy/pairwise.h"

#include <initializer_list>

#include "idp/core/base64.h"
#include "idp/crypto/digest.h"
#include "idp/crypto/hmac.h"

namespace propusk::policy {

namespace {
// A label per derivation and NUL separators between fields, so that no two inputs feed
// HMAC the same bytes ("ab"+"c" vs "a"+"bc"; a persistent NameID vs a pairwise-id).
std::string derive(std::string_view secret, std::initializer_list<std::string_view> fields) {
  std::string msg;
  bool first = true;
  for (std::string_view f : fields) {
    if (!first) msg.push_back('\0');
    msg.append(f);
    first = false;
  }
  return crypto::hmacSha256(secret, msg);
}

// Subject Identifier Attributes Profile §3.2/§3.3: the scope is compared case-insensitively;
// emit it lowercase so that the same configuration in any case yields the same value.
std::string scoped(std::string_view uniqueId, std::string_view scope) {
  std::string out(uniqueId);
  out += '@';
  for (char c : scope) out += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return out;
}
}  // namespace

std::string persistentNameId(std::string_view secret, std::string_view userUid, std::string_view spEntityId) {
  return base64UrlEncode(derive(secret, {"persistent", userUid, spEntityId}));
}

std::string sessionIndex(std::string_view secret, std::string_view sessionIdHash, std::string_view spEntityId,
                         std::string_view nameId) {
  return "_" + crypto::toHex(derive(secret, {"session-index", sessionIdHash, spEntityId, nameId}).substr(0, 20));
}

std::string subjectId(std::string_view secret, std::string_view userUid, std::string_view scope) {
  return scoped(crypto::toHex(derive(secret, {"subject-id", userUid})), scope);
}

std::string pairwiseId(std::string_view secret, std::string_view userUid, std::string_view spEntityId,
                       std::string_view scope) {
  return scoped(crypto::toHex(derive(secret, {"pairwise-id", userUid, spEntityId})), scope);
}

}  // namespace propusk::policy
