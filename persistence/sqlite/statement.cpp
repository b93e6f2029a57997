#include "persistence/sqlite/statement.hpp"

#include <sqlite3.h>

#include <mutex>
#include <utility>

#include "persistence/sqlite/page_cache.hpp"

namespace payorch::persistence::sqlite {

void connection_closer::operator()(sqlite3* db) const noexcept {
  // close_v2 defers the close until any forgotten statement is finalised instead of failing.
  sqlite3_close_v2(db);
}

void configure_sqlite() {
  static std::once_flag configured;
  // Refused (SQLITE_MISUSE) if something in the process already initialised SQLite; the
  // statistics then merely stay on, and the default page cache serves alone.
  std::call_once(configured, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    install_page_cache();
  });
}

int open_connection(const std::string& file, int flags, connection_ptr& db, const char* vfs) {
  configure_sqlite();
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(file.c_str(), &raw, flags, vfs);
  db.reset(raw);
  return rc;
}

statement::statement(sqlite3* db, std::string_view sql, std::string* error) {
  const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                    SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) {
    if (error != nullptr) *error = "prepare failed: " + last_error(db) + " in: " + std::string(sql);
    sqlite3_finalize(stmt_);
    stmt_ = nullptr;
  }
}

statement::~statement() {
  sqlite3_finalize(stmt_);
}

statement::statement(statement&& other) noexcept : stmt_(std::exchange(other.stmt_, nullptr)) {}

statement& statement::operator=(statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

void statement::bind_text(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

void statement::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob with a null pointer would bind NULL; zeroblob keeps it an empty blob.
  if (bytes.empty()) {
    sqlite3_bind_zeroblob(stmt_, index, 0);
    return;
  }
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
}

void statement::bind_text_view(int index, std::string_view text) {
  // A null pointer would bind NULL rather than an empty string.
  const char* bytes = text.data() != nullptr ? text.data() : "";
  sqlite3_bind_text64(stmt_, index, bytes, text.size(), SQLITE_STATIC, SQLITE_UTF8);
}

void statement::bind_blob_view(int index, std::string_view bytes) {
  if (bytes.empty()) {
    sqlite3_bind_zeroblob(stmt_, index, 0);
    return;
  }
  sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC);
}

void statement::bind_int64(int index, std::int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
}

void statement::bind_null(int index) {
  sqlite3_bind_null(stmt_, index);
}

step_result statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return step_result::row;
  if (rc == SQLITE_DONE) return step_result::done;
  // Only the key's own uniqueness means "this version is taken" (PRIMARYKEY in the old WITHOUT
  // ROWID layout, UNIQUE in the current one); a trigger or CHECK failure is a storage problem, so
  // the extended code is required here.
  const int code = sqlite3_extended_errcode(sqlite3_db_handle(stmt_));
  if (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE)
    return step_result::key_violation;
  return step_result::error;
}

void statement::reset() noexcept {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

std::string statement::column_string(int index) const {
  const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt_, index));
  const int size = sqlite3_column_bytes(stmt_, index);
  if (bytes == nullptr || size <= 0) return {};
  return std::string(bytes, static_cast<std::size_t>(size));
}

std::int64_t statement::column_int64(int index) const {
  return sqlite3_column_int64(stmt_, index);
}

bool statement::column_null(int index) const {
  return sqlite3_column_type(stmt_, index) == SQLITE_NULL;
}

bool exec(sqlite3* db, std::string_view sql, std::string* error) {
  char* message = nullptr;
  const std::string owned(sql);  // sqlite3_exec needs a terminated string
  const int rc = sqlite3_exec(db, owned.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return true;
  if (error != nullptr) *error = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return false;
}

std::string last_error(sqlite3* db) {
  const char* message = sqlite3_errmsg(db);
  return message != nullptr ? message : "unknown sqlite error";
}

}  // namespace payorch::persistence::sqlite
