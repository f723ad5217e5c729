#include "idp/store/sql/write_queue.h"

#include <algorithm>

#include "idp/store/store.h"

namespace propusk::store::sql {

namespace {
std::string oneLine(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}
}  // namespace

std::exception_ptr storeError(std::string_view label, std::string_view op, const std::exception& e) {
  return std::make_exception_ptr(
      StoreError("store " + std::string(label) + ": " + std::string(op) + ": " + oneLine(e.what())));
}

Connection& Writer::connection() {
  if (!conn_ || !conn_->usable()) {
    conn_.reset();
    conn_ = open_();
  }
  return *conn_;
}

void WriteQueue::enqueue(Change& c) {
  std::lock_guard lk(mutex_);
  queue_.push_back(&c);
}

void WriteQueue::await(Change& c) {
  std::unique_lock lk(mutex_);
  if (c.withdrawn) throw std::logic_error("store: waiting for a withdrawn change");
  cv_.wait(lk, [&] { return c.done || !committing_; });
  if (!c.done) {
    committing_ = true;
    std::vector<Change*> batch;
    batch.swap(queue_);
    lk.unlock();
    commitBatch(batch);
    lk.lock();
    committing_ = false;
    for (auto* b : batch) b->done = true;
    cv_.notify_all();
  }
  if (c.error) std::rethrow_exception(c.error);
}

bool WriteQueue::withdraw(Change& c) {
  std::unique_lock lk(mutex_);
  if (c.done) return c.withdrawn;
  if (auto it = std::find(queue_.begin(), queue_.end(), &c); it != queue_.end()) {
    queue_.erase(it);
    c.done = c.withdrawn = true;
    return true;
  }
  cv_.wait(lk, [&] { return c.done; });
  return false;
}

// Never throws: every failure lands in the error of the change(s) it concerns.
void WriteQueue::commitBatch(const std::vector<Change*>& batch) noexcept {
  std::lock_guard lock(writer_.mutex_);
  const std::string_view label = writer_.label_;
  auto failAll = [&](std::string_view what, const std::exception& e) {
    for (auto* c : batch)
      if (!c->error) c->error = storeError(label, std::string(c->op) + " (" + std::string(what) + ")", e);
  };
  Connection* db = nullptr;
  // Opening the transaction on a connection that was lost while idle (the database restarted)
  // fails before anything is written: once on a new connection, that is safe to repeat.
  auto begin = [&] {
    db = &writer_.connection();
    for (auto stmt : writer_.dialect_.beginWrite)
      if (!stmt.empty()) db->exec(stmt);
  };
  try {
    try {
      begin();
    } catch (const SqlError& e) {
      if (!e.connectionLost()) throw;
      writer_.conn_.reset();
      begin();
    }
  } catch (const std::exception& e) {
    if (db) {
      try {
        db->exec("ROLLBACK");
      } catch (...) {
      }
    }
    failAll("begin", e);
    return;
  }
  WriteTx tx{*db, writer_.clock_, label, std::nullopt};
  auto rollbackQuietly = [&] {
    try {
      db->exec("ROLLBACK");
    } catch (...) {
      // Nothing open to roll back (BEGIN or COMMIT already ended it), or the connection is gone.
    }
  };
  const bool alone = batch.size() == 1;
  for (auto* c : batch) {
    try {
      if (!alone) db->exec("SAVEPOINT change");
      c->run(tx);
      if (!alone) db->exec("RELEASE SAVEPOINT change");
      continue;
    } catch (const SqlError& e) {
      c->error = storeError(label, c->op, e);
    } catch (...) {
      c->error = std::current_exception();
    }
    tx.chainHead.reset();
    if (alone) {
      rollbackQuietly();
      return;
    }
    try {
      db->exec("ROLLBACK TO SAVEPOINT change");
      db->exec("RELEASE SAVEPOINT change");
    } catch (const std::exception& e) {
      rollbackQuietly();
      failAll("rollback to savepoint", e);
      return;
    }
  }
  try {
    db->exec("COMMIT");
  } catch (const std::exception& e) {
    rollbackQuietly();
    failAll("commit", e);
  }
}

}  // namespace propusk::store::sql
