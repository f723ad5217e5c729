// The one place that names SQLite's own C API (STYLE: C handles, one place each): the
// SQLite implementation of sql::Connection — connections to the store file and their
// prepared statements, cached per connection (SQLITE_PREPARE_PERSISTENT).
#pragma once

#include <memory>
#include <string>

#include "idp/store/sql/connection.h"

namespace propusk::store::sqlite {

enum class Access {
  Writer,  // read-write; foreign keys on, synchronous NORMAL (the file is in WAL mode)
  Reader,  // query_only: a WAL reader beside the writer; it never writes, even by mistake
};

// Opens `file` (which must exist; the store creates it with mode 0600 first) with a busy
// timeout. Throws sql::SqlError.
std::unique_ptr<sql::Connection> open(const std::string& file, Access access, int busyTimeoutMs);

// Opens `file` read-only and immutable (no WAL recovery, no -shm), for looking at a store
// without changing anything (`propusk --check-config`). Throws sql::SqlError.
std::unique_ptr<sql::Connection> openForInspection(const std::string& file);

// Asks SQLite to keep no allocation statistics (they take one process-wide mutex on every
// malloc and free; the server's readers and writer contended on it). Only possible before
// SQLite initialises; harmless afterwards.
void disableMemoryStatistics();

}  // namespace propusk::store::sqlite
