// What every propuskctl command gets: configuration, the store, time, randomness, I/O.
#pragma once

#include <Poco/JSON/Object.h>

#include <iosfwd>
#include <memory>
#include <string>

#include "idp/cli/args.h"
#include "idp/config/config.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/store/store.h"

namespace propusk::cli {

struct Io {
  std::istream& in;
  std::ostream& out;
  std::ostream& err;
  bool stdinIsTty = false;
};

class Context {
 public:
  Context(config::Config config, Io io, const Clock& clock, Random& random, bool json, std::string actor)
      : config(std::move(config)), io(io), clock(clock), random(random), json(json), actor(std::move(actor)) {}

  // Opens the existing store; CliError if `propuskctl init` has not made one yet.
  store::Store& store();
  // Creates the data directory (0700) and the store if needed.
  store::Store& createStore();

  // A password from the terminal (asked twice, not echoed) or the first line of stdin.
  std::string readNewPassword(const std::string& prompt);

  void printJson(const Poco::JSON::Object::Ptr& obj);
  void printJson(const Poco::JSON::Array::Ptr& arr);

  config::Config config;
  Io io;
  const Clock& clock;
  Random& random;
  bool json;
  std::string actor;

 private:
  std::unique_ptr<store::Store> store_;
};

Poco::JSON::Object::Ptr newJsonObject();  // keeps insertion order

}  // namespace propusk::cli
