#include "idp/admin/key_ring.h"

#include <algorithm>

#include "idp/crypto/keys.h"

namespace propusk::admin {

namespace {
std::string keyDetails(const store::SigningKey& k) {
  return R"({"algorithm":")" + k.algorithm + R"(","state":")" + std::string(store::keyStateName(k.state)) + "\"}";
}
}  // namespace

store::SigningKey generateKey(store::Store& store, const KeySettings& s, store::KeyState state,
                              const Clock& clock, const std::string& actor) {
  auto pair = crypto::generateKeyPair(s.algorithm, s.commonName, s.validityDays, clock);
  store::SigningKey k;
  k.id = crypto::certificateSha256Fingerprint(pair.cert.get()).substr(0, 16);
  k.algorithm = std::string(crypto::keyAlgorithmName(s.algorithm));
  k.privateKeyPem = crypto::privateKeyPem(pair.key.get());
  k.certificatePem = crypto::certificatePem(pair.cert.get());
  k.state = state;
  k.createdAt = clock.now();
  if (state == store::KeyState::Active) k.activatedAt = clock.now();
  store.addKey(k, {actor, "key.generate", k.id, "ok", keyDetails(k)});
  return k;
}

std::optional<store::SigningKey> activeKey(store::Store& store) {
  for (auto& k : store.listKeys())
    if (k.state == store::KeyState::Active) return k;
  return std::nullopt;
}

std::vector<store::SigningKey> publishedKeys(store::Store& store) {
  auto keys = store.listKeys();
  std::erase_if(keys, [](auto& k) { return k.state == store::KeyState::Retired; });
  return keys;
}

Rotation rotateKeys(store::Store& store, const KeySettings& s, const Clock& clock, const std::string& actor) {
  Rotation r;
  auto keys = store.listKeys();
  auto next = std::find_if(keys.rbegin(), keys.rend(), [](auto& k) { return k.state == store::KeyState::Next; });
  store::SigningKey incoming;
  if (next != keys.rend()) {
    incoming = *next;
  } else {
    incoming = generateKey(store, s, store::KeyState::Next, clock, actor);
    r.generated = true;
  }
  std::vector<store::SigningKey> changed;
  for (auto& k : keys)
    if (k.state == store::KeyState::Active) {
      k.state = store::KeyState::Previous;
      r.previous = k;
      changed.push_back(k);
    }
  incoming.state = store::KeyState::Active;
  incoming.activatedAt = clock.now();
  changed.push_back(incoming);
  std::string details = R"({"activated":")" + incoming.id + R"(","previous":")" +
                        (r.previous ? r.previous->id : std::string()) + "\"}";
  store.updateKeys(changed, {actor, "key.rotate", incoming.id, "ok", details});
  r.activated = incoming;
  return r;
}

Result<store::SigningKey> retireKey(store::Store& store, const std::string& id, const Clock& clock,
                                    const std::string& actor) {
  for (auto& k : store.listKeys()) {
    if (k.id != id) continue;
    if (k.state == store::KeyState::Active)
      return invalid("key " + id + " is the active signing key; rotate first, then retire it");
    if (k.state == store::KeyState::Retired) return invalid("key " + id + " is already retired");
    k.state = store::KeyState::Retired;
    k.retiredAt = clock.now();
    store.updateKeys({k}, {actor, "key.retire", k.id, "ok", "{}"});
    return k;
  }
  return invalid("no key with id " + id);
}

}  // namespace propusk::admin
