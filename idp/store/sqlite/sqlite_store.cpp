// The embedded SQLite engine (DESIGN.md "Storage"): one file in WAL mode, mode 0600.
//
// Concurrency: one writer connection per process for changes (the write queue takes turns on
// it), a few query_only reader connections for look-ups. Across processes (server and
// propuskctl on the same file) WAL lets readers run beside one writer; every change runs in
// BEGIN IMMEDIATE (sql::Dialect), which takes the write lock before the first read, so the
// audit chain's "read the last hash, append the next event" never interleaves between
// processes. The busy timeout makes the second writer wait (up to 5 s) instead of failing.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>

#include "idp/store/migrations/migrations.h"
#include "idp/store/sql_store.h"
#include "idp/store/sqlite/sqlite_handles.h"

namespace propusk::store {

namespace {

constexpr char kSqliteMagic[16] = {'S', 'Q', 'L', 'i', 't', 'e', ' ', 'f', 'o', 'r', 'm', 'a', 't', ' ', '3', '\0'};
constexpr int kBusyTimeoutMs = 5000;

// Creates the file 0600 when missing (so the -wal and -shm files SQLite derives from it
// are 0600 too), and refuses anything that is not a SQLite database before Poco opens it.
void prepareFile(const std::filesystem::path& file) {
  const std::string name = file.string();
  int fd = ::open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd >= 0) {
    // open() applied the umask; the mode must not depend on it.
    int rc = ::fchmod(fd, 0600);
    int err = errno;
    ::close(fd);
    if (rc != 0) throw StoreError("store " + name + ": cannot set mode 0600: " + std::strerror(err));
    return;
  }
  if (errno != EEXIST)
    throw StoreError("store " + name + ": cannot create file: " + std::strerror(errno));

  fd = ::open(name.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw StoreError("store " + name + ": cannot open file: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw StoreError("store " + name + ": not a regular file");
  }
  char head[sizeof kSqliteMagic] = {};
  ssize_t n = st.st_size > 0 ? ::read(fd, head, sizeof head) : 0;
  int err = errno;
  if (st.st_size == 0) ::fchmod(fd, 0600);  // an empty file is a new database: ours to set
  ::close(fd);
  if (n < 0) throw StoreError("store " + name + ": cannot read file: " + std::strerror(err));
  if (st.st_size > 0 &&
      (n != static_cast<ssize_t>(sizeof head) || std::memcmp(head, kSqliteMagic, sizeof head) != 0))
    throw StoreError("store " + name + ": not a SQLite database");
}

// Sets WAL mode once per file (it is persistent); every connection opened later finds it.
void enableWal(const std::string& file) {
  auto c = sqlite::open(file, sqlite::Access::Writer, kBusyTimeoutMs);
  auto q = c->prepare("PRAGMA journal_mode = WAL");
  std::string mode = q.step() ? q.statement().text(0) : "";
  if (mode != "wal") throw StoreError("store " + file + ": cannot enable WAL (journal_mode is " + mode + ")");
}

// The WAL's checkpoints, off the request path: PASSIVE copies what it can without waiting for
// readers or the writer, on a connection of its own, so requests never wait for it.
class Checkpointer {
 public:
  explicit Checkpointer(std::string file) : file_(std::move(file)) {}
  void run() {
    std::lock_guard lock(mutex_);
    if (!conn_) conn_ = sqlite::open(file_, sqlite::Access::Writer, 100);
    conn_->prepare("PRAGMA wal_checkpoint(PASSIVE)").run();
  }

 private:
  std::string file_;
  std::mutex mutex_;
  std::unique_ptr<sql::Connection> conn_;
};

}  // namespace

std::unique_ptr<Store> openSqliteStore(const std::filesystem::path& path, const Clock& clock) {
  const std::string file = path.string();
  prepareFile(path);
  sqlite::disableMemoryStatistics();
  try {
    enableWal(file);
  } catch (const sql::SqlError& e) {
    std::rethrow_exception(sql::storeError(file, "open", e));
  }
  EngineParts parts;
  parts.engine = sql::Engine::Sqlite;
  parts.label = file;
  parts.openWriter = [file] { return sqlite::open(file, sqlite::Access::Writer, kBusyTimeoutMs); };
  parts.openReader = [file] { return sqlite::open(file, sqlite::Access::Reader, kBusyTimeoutMs); };
  parts.readers = 4;
  auto checkpointer = std::make_shared<Checkpointer>(file);
  parts.checkpoint = [checkpointer] { checkpointer->run(); };
  return std::make_unique<SqlStore>(std::move(parts), clock);
}

StoreVersion inspectSqliteStore(const std::filesystem::path& file) {
  if (!std::filesystem::is_regular_file(file)) throw StoreError("store " + file.string() + ": no such file");
  try {
    // Read-only URI: SQLite neither writes nor recovers the WAL for this look.
    auto c = sqlite::openForInspection(file.string());
    return {migrations::schemaVersion(*c, sql::Engine::Sqlite), migrations::latestVersion()};
  } catch (const sql::SqlError& e) {
    throw StoreError("store " + file.string() + ": " + e.what());
  }
}

}  // namespace propusk::store
