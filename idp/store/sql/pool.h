// Reader connections for the hot read-only look-ups (a session, a user, an SP): a request
// never waits behind another request's commit for them (measured on SQLite: with one shared
// connection 18 of 20 server threads sat in its mutex under load). Opened on first use, one
// thread at a time each, and opened again when the engine reports one lost.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "idp/store/sql/connection.h"

namespace propusk::store::sql {

class ReaderPool {
 public:
  using Opener = std::function<std::unique_ptr<Connection>()>;
  ReaderPool(Opener open, std::size_t size) : open_(std::move(open)), readers_(size ? size : 1) {}

  // f(Connection&) on a free reader if there is one, else on the one this thread hashes to.
  // A connection found lost (the database restarted while it sat idle: nothing reports that
  // until it is used) is opened again and f tried once more — reads are safe to repeat.
  template <class F>
  auto with(F&& f) {
    Reader& r = pick();
    std::lock_guard lock(r.mutex);
    if (!r.connection || !r.connection->usable()) {
      r.connection.reset();
      r.connection = open_();
    }
    try {
      return f(*r.connection);
    } catch (const SqlError& e) {
      if (!e.connectionLost()) throw;
    }
    r.connection.reset();
    r.connection = open_();
    return f(*r.connection);
  }

  // Asks every open reader for a round trip; a lost one is dropped (opened again on next use).
  // Throws the first error of a connection that is open and not lost, or of opening none.
  void probe(const std::function<void(Connection&)>& ask) {
    for (auto& r : readers_) {
      std::lock_guard lock(r.mutex);
      if (!r.connection) continue;
      try {
        ask(*r.connection);
      } catch (const SqlError& e) {
        r.connection.reset();
        if (!e.connectionLost()) throw;
      }
    }
  }

 private:
  struct Reader {
    std::mutex mutex;
    std::unique_ptr<Connection> connection;
  };

  Reader& pick() {
    for (auto& r : readers_)
      if (r.mutex.try_lock()) {
        r.mutex.unlock();
        return r;
      }
    return readers_[std::hash<std::thread::id>{}(std::this_thread::get_id()) % readers_.size()];
  }

  Opener open_;
  std::vector<Reader> readers_;
};

}  // namespace propusk::store::sql
