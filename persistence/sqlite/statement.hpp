#pragma once
/// Thin RAII wrappers over a SQLite connection and its prepared statements (internal to
/// persistence).
///
/// SQLite's own header stays in the .cpp files: the handles are only forward-declared here.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace payorch::persistence::sqlite {

/// Closes a connection handle.
struct connection_closer {
  void operator()(sqlite3* db) const noexcept;
};
using connection_ptr = std::unique_ptr<sqlite3, connection_closer>;

/// Turns off SQLite's process-wide memory statistics, which nothing here reads and which take a
/// global mutex on every allocation of every connection, and installs the page cache of
/// page_cache.hpp. Once per process, before anything starts SQLite up (later both are refused
/// and SQLite's defaults stay); open_connection calls it.
void configure_sqlite();

/// Opens `file` with SQLite's open flags into `db` (set even on failure, so its error can be read)
/// and returns SQLite's result code. `vfs` names a registered VFS (null: the default one).
int open_connection(const std::string& file, int flags, connection_ptr& db,
                    const char* vfs = nullptr);

/// The outcome of one step of a statement.
enum class step_result { row, done, key_violation, error };

/// A prepared statement that is compiled once and reused for every call.
class statement {
 public:
  statement() = default;
  statement(sqlite3* db, std::string_view sql, std::string* error);
  ~statement();
  statement(const statement&) = delete;
  statement& operator=(const statement&) = delete;
  statement(statement&& other) noexcept;
  statement& operator=(statement&& other) noexcept;

  [[nodiscard]] bool valid() const noexcept { return stmt_ != nullptr; }

  // Bind indexes are 1-based, as in SQLite.
  void bind_text(int index, std::string_view text);
  void bind_blob(int index, std::string_view bytes);
  /// Like bind_text/bind_blob without SQLite's private copy: the bytes must stay alive and
  /// unchanged until the statement is reset.
  void bind_text_view(int index, std::string_view text);
  void bind_blob_view(int index, std::string_view bytes);
  void bind_int64(int index, std::int64_t value);
  void bind_null(int index);

  step_result step();
  /// Rewinds the statement and drops its bindings so the next caller starts clean.
  void reset() noexcept;

  // Column indexes are 0-based, as in SQLite.
  [[nodiscard]] std::string column_string(int index) const;  // text or blob bytes; "" for NULL
  [[nodiscard]] std::int64_t column_int64(int index) const;
  [[nodiscard]] bool column_null(int index) const;

 private:
  sqlite3_stmt* stmt_ = nullptr;
};

/// Resets a statement when the scope that used it ends, on every return path.
class reset_guard {
 public:
  explicit reset_guard(statement& stmt) : stmt_(stmt) {}
  ~reset_guard() { stmt_.reset(); }
  reset_guard(const reset_guard&) = delete;
  reset_guard& operator=(const reset_guard&) = delete;

 private:
  statement& stmt_;
};

/// Runs SQL without results (pragmas, DDL, transaction control); returns false and sets `*error` on
/// failure.
bool exec(sqlite3* db, std::string_view sql, std::string* error);

/// The connection's latest error message.
std::string last_error(sqlite3* db);

}  // namespace payorch::persistence::sqlite
