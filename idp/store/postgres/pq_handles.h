// The one place that names libpq (STYLE: C handles, one place each): the PostgreSQL
// implementation of sql::Connection. Statements are prepared on the server once per
// connection (PQprepare, named per connection) and run with PQexecPrepared; `?` placeholders
// become $1, $2... A connection the server dropped (restart, network) reports itself unusable,
// and the store opens a new one, whose statements are prepared again on first use.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "idp/store/sql/connection.h"

namespace propusk::store::postgres {

struct ConnectionSettings {
  // libpq keyword=value connection string ("host=... port=... dbname=... user=..."); a
  // password in it is refused by the configuration, never read from the command line.
  std::string conninfo;
  std::optional<std::string> password;  // from [store] password_file; else libpq's PGPASSWORD/PGPASSFILE
};

// The keywords of a connection string (libpq's own parser); throws sql::SqlError naming what
// is wrong with it.
std::map<std::string, std::string> parseConninfo(const std::string& conninfo);

// Opens a connection (application_name "propusk", a 5 s connect timeout unless the string
// says otherwise, TCP keepalives). Throws sql::SqlError (connectionLost) when it cannot.
std::unique_ptr<sql::Connection> open(const ConnectionSettings& settings);

// "host=db port=5432 dbname=propusk" of a connection string, for messages (never a password).
std::string describe(const std::string& conninfo);

}  // namespace propusk::store::postgres
