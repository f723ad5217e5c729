// Group commit, engine-neutral (docs/store.md, docs/architecture.md "Group commit"): store
// changes from concurrent threads queue while one thread commits; the next of them commits
// the whole queue in one write transaction, each change in a savepoint of its own (a failure
// undoes only that change and reaches only its caller). Every caller returns after its change
// is durable. Measured on SQLite at concurrency 32: 29 of 32 server threads waited for the
// writer before this.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "idp/core/clock.h"
#include "idp/store/sql/connection.h"

namespace propusk::store::sql {

// The writer connection of a store: one per process, opened again when the engine reports it
// lost. Also used, under the same mutex, for single statements that need no transaction.
class Writer {
 public:
  using Opener = std::function<std::unique_ptr<Connection>()>;
  Writer(Opener open, const Dialect& dialect, const Clock& clock, std::string label)
      : open_(std::move(open)), dialect_(dialect), clock_(clock), label_(std::move(label)) {}

  // f(Connection&) with the writer to itself (autocommit). A connection found lost before
  // f got an answer is opened again and f tried once more: the single statements run here
  // are upserts, deletes and an insert-if-absent, so a repeat after a statement the server
  // did apply errs only towards refusing (a message ID then counts as seen).
  template <class F>
  auto direct(F&& f) {
    std::lock_guard lock(mutex_);
    try {
      return f(connection());
    } catch (const SqlError& e) {
      if (!e.connectionLost()) throw;
    }
    conn_.reset();
    return f(connection());
  }

  const Dialect& dialect() const { return dialect_; }
  const Clock& clock() const { return clock_; }
  const std::string& label() const { return label_; }

 private:
  friend class WriteQueue;
  Connection& connection();

  Opener open_;
  std::unique_ptr<Connection> conn_;
  std::mutex mutex_;
  const Dialect& dialect_;
  const Clock& clock_;
  std::string label_;
};

// What a change runs in: the writer inside the batch's transaction, and the head of the audit
// chain as far as this transaction has appended (forgotten on every undo).
struct WriteTx {
  Connection& db;
  const Clock& clock;
  std::string_view label;
  std::optional<std::pair<std::int64_t, std::string>> chainHead;  // seq, hash
};

class WriteQueue {
 public:
  struct Change {
    std::string_view op = {};
    std::function<void(WriteTx&)> run = {};
    std::exception_ptr error = {};
    bool done = false;  // committed, undone, or withdrawn
    bool withdrawn = false;
  };

  explicit WriteQueue(Writer& writer) : writer_(writer) {}

  // Queues and waits: returns once committed, or rethrows what undid it.
  void submit(Change& c) {
    enqueue(c);
    await(c);
  }
  void enqueue(Change& c);
  // No commit under way and c not yet taken: this thread commits everything queued so far.
  void await(Change& c);
  // True when c left the queue before any commit took it; else waits for the commit that
  // took it and returns false.
  bool withdraw(Change& c);

 private:
  void commitBatch(const std::vector<Change*>& batch) noexcept;

  Writer& writer_;
  std::mutex mutex_;  // guards queue_, committing_ and each queued Change's done/error
  std::condition_variable cv_;
  std::vector<Change*> queue_;
  bool committing_ = false;
};

// The StoreError for an engine error during `op` on the database `label`.
std::exception_ptr storeError(std::string_view label, std::string_view op, const std::exception& e);

}  // namespace propusk::store::sql
