// What every handler shares: configuration, the store, time and randomness.
#pragma once

#include <Poco/Logger.h>

#include <atomic>
#include <mutex>

#include "idp/app/config.h"
#include "idp/core/clock.h"
#include "idp/core/random.h"
#include "idp/store/store.h"

namespace propusk::web {

struct WebContext {
  const app::Config& config;
  store::Store& store;  // thread-safe (serialises internally)
  const Clock& clock;
  Random& random;       // SystemRandom: RAND_bytes is thread-safe
  Poco::Logger& log;
  std::atomic<bool> ready{false};
};

}  // namespace propusk::web
