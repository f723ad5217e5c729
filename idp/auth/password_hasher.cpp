#include "idp/auth/password_hasher.h"

#include <condition_variable>
#include <mutex>

namespace propusk::auth {

struct PasswordHasher::Slots {
  std::mutex mutex;
  std::condition_variable freed;
  std::size_t free = 1;
  std::size_t waiting = 0;
  std::size_t maxWaiting = 0;

  bool enter() {
    std::unique_lock lock(mutex);
    if (free == 0 && waiting >= maxWaiting) return false;
    ++waiting;
    freed.wait(lock, [&] { return free > 0; });
    --waiting;
    --free;
    return true;
  }
  void leave() {
    {
      std::lock_guard lock(mutex);
      ++free;
    }
    freed.notify_one();
  }
};

PasswordHasher::PasswordHasher(Argon2Params params, std::size_t slots, std::size_t maxWaiting)
    : params_(params), slots_(std::make_unique<Slots>()) {
  slots_->free = slots == 0 ? 1 : slots;
  slots_->maxWaiting = maxWaiting;
}

PasswordHasher::~PasswordHasher() = default;

std::optional<bool> PasswordHasher::verify(std::string_view password, const std::string& encoded) {
  if (!slots_->enter()) return std::nullopt;
  struct Leave {
    Slots& s;
    ~Leave() { s.leave(); }
  } leave{*slots_};
  return verifyPassword(password, encoded);
}

std::optional<std::string> PasswordHasher::hash(std::string_view password, Random& random) {
  if (!slots_->enter()) return std::nullopt;
  struct Leave {
    Slots& s;
    ~Leave() { s.leave(); }
  } leave{*slots_};
  return hashPassword(password, params_, random);
}

}  // namespace propusk::auth
