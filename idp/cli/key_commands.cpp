#include <Poco/JSON/Array.h>

#include <ostream>

#include "idp/admin/bootstrap.h"
#include "idp/admin/key_ring.h"
#include "idp/cli/commands.h"
#include "idp/crypto/keys.h"

namespace propusk::cli {

namespace {

admin::KeySettings keySettings(const Context& ctx, const ParsedArgs& args) {
  admin::KeySettings s;
  s.algorithm = ctx.config.keyAlgorithm;
  s.validityDays = ctx.config.keyValidityDays;
  if (auto a = args.get("algorithm")) {
    auto parsed = crypto::parseKeyAlgorithm(*a);
    if (!parsed) throw CliError("algorithm: must be rsa2048, rsa3072 or ec-p256, got '" + *a + "'");
    s.algorithm = *parsed;
  }
  return s;
}

Poco::JSON::Object::Ptr keyJson(const store::SigningKey& k) {
  auto o = newJsonObject();
  o->set("id", k.id);
  o->set("algorithm", k.algorithm);
  o->set("state", std::string(store::keyStateName(k.state)));
  o->set("created", formatXsDateTime(k.createdAt));
  if (auto cert = crypto::loadCertificatePem(k.certificatePem)) {
    auto info = crypto::describeCertificate(cert->get());
    o->set("not_after", formatXsDateTime(info.notAfter));
    o->set("sha256_fingerprint", crypto::certificateSha256Fingerprint(cert->get()));
  }
  return o;
}

void printKeyLine(std::ostream& out, const store::SigningKey& k) {
  auto j = keyJson(k);
  out << k.id << "  " << k.algorithm << "  " << keyStateName(k.state) << "  created " << formatXsDateTime(k.createdAt)
      << "  expires " << j->optValue<std::string>("not_after", "?") << "\n";
}

}  // namespace

int cmdInit(Context& ctx, const ParsedArgs& args) {
  auto settings = keySettings(ctx, args);  // checked before anything is created
  auto& store = ctx.createStore();
  auto b = admin::ensureInitialised(store, settings, ctx.clock, ctx.random, ctx.actor);
  try {
    admin::openFactorKey(store, ctx.config.factorKeyPath(), ctx.random, ctx.actor);
  } catch (const std::runtime_error& e) {
    throw CliError(e.what());
  }
  if (ctx.json) {
    auto o = newJsonObject();
    o->set("store", store.describe());
    o->set("schema_version", store.schemaVersion());
    o->set("active_key", keyJson(b.activeKey));
    o->set("created_key", b.createdKey);
    ctx.printJson(o);
  } else {
    ctx.io.out << "store " << store.describe() << " (schema version " << store.schemaVersion() << ")\n"
               << (b.createdKey ? "created" : "kept") << " active signing key " << b.activeKey.id << " ("
               << b.activeKey.algorithm << ")\n";
  }
  return 0;
}

int cmdKeysList(Context& ctx, const ParsedArgs&) {
  auto keys = ctx.store().listKeys();
  if (ctx.json) {
    Poco::JSON::Array::Ptr arr = new Poco::JSON::Array;
    for (auto& k : keys) arr->add(keyJson(k));
    ctx.printJson(arr);
  } else {
    for (auto& k : keys) printKeyLine(ctx.io.out, k);
  }
  return 0;
}

int cmdKeysGenerate(Context& ctx, const ParsedArgs& args) {
  auto k = admin::generateKey(ctx.store(), keySettings(ctx, args), store::KeyState::Next, ctx.clock, ctx.actor);
  if (ctx.json) ctx.printJson(keyJson(k));
  else {
    ctx.io.out << "generated key " << k.id << " (" << k.algorithm
               << "), published as 'next'; 'propuskctl keys rotate' makes it the signing key\n";
  }
  return 0;
}

int cmdKeysRotate(Context& ctx, const ParsedArgs& args) {
  auto r = admin::rotateKeys(ctx.store(), keySettings(ctx, args), ctx.clock, ctx.actor);
  if (ctx.json) {
    auto o = newJsonObject();
    o->set("active", keyJson(r.activated));
    if (r.previous) o->set("previous", keyJson(*r.previous));
    o->set("generated", r.generated);
    ctx.printJson(o);
  } else {
    ctx.io.out << "active signing key is now " << r.activated.id << (r.generated ? " (newly generated)" : "") << "\n";
    if (r.previous)
      ctx.io.out << "key " << r.previous->id << " stays published as 'previous' until 'propuskctl keys retire "
                 << r.previous->id << "'\n";
  }
  return 0;
}

int cmdKeysRetire(Context& ctx, const ParsedArgs& args) {
  auto k = admin::retireKey(ctx.store(), args.positional[0], ctx.clock, ctx.actor);
  if (!k) throw CliError("key: " + k.error().detail);
  if (ctx.json) ctx.printJson(keyJson(*k));
  else ctx.io.out << "retired key " << k->id << "; it is no longer published\n";
  return 0;
}

}  // namespace propusk::cli
