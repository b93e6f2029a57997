#include "persistence/postgres/migrations.hpp"

#include <pqxx/pqxx>
#include <stdexcept>

#include "persistence/journal.hpp"

namespace payorch::persistence::postgres {
namespace {

// Every text column the store compares or pages by is COLLATE "C", so ordering and prefix ranges
// are bytewise whatever the database's locale (and LIKE 'prefix%' can use the btree indexes).
// Until migration 5, a pending transaction's rows were found by (transaction_id, phase): unlike
// SQLite's single writer, concurrent sessions may interleave bigserial values, so its rows need
// not be consecutive (migration 5 keeps their range and still checks the transaction id). An
// idempotency record's fingerprint and stored answer are opaque bytes (bytea), as SQLite keeps them
// byte for byte. The constraint trigger is the database's own zero-sum guard: at commit, every
// (transaction_id, currency) that gained a row must sum to zero over its PENDING and POSTED rows
// (version 3 replaces it with a check per statement).
constexpr std::string_view initial_schema = R"sql(
CREATE TABLE events (
  stream_id      text COLLATE "C" NOT NULL,
  version        bigint NOT NULL CHECK (version >= 1),
  event_type     text NOT NULL,
  payload        bytea NOT NULL,
  recorded_at_ms bigint NOT NULL,
  prev_hash      text NOT NULL,
  hash           text NOT NULL,
  PRIMARY KEY (stream_id, version)
);
CREATE TABLE snapshots (
  stream_id text COLLATE "C" PRIMARY KEY,
  version   bigint NOT NULL,
  payload   bytea NOT NULL
);
CREATE TABLE ledger_entries (
  entry_id       bigserial PRIMARY KEY,
  transaction_id text COLLATE "C" NOT NULL,
  account        text COLLATE "C" NOT NULL,
  currency       text COLLATE "C" NOT NULL,
  amount_minor   bigint NOT NULL CHECK (amount_minor <> 0),
  phase          text NOT NULL CHECK (phase IN ('POSTED', 'PENDING', 'VOIDED')),
  stream_id      text COLLATE "C" NOT NULL,
  stream_version bigint NOT NULL,
  recorded_at_ms bigint NOT NULL
);
CREATE INDEX ledger_entries_by_account ON ledger_entries (account, entry_id);
CREATE INDEX ledger_entries_by_transaction ON ledger_entries (transaction_id, currency);
CREATE TABLE ledger_pending (
  transaction_id text COLLATE "C" PRIMARY KEY,
  state          text NOT NULL CHECK (state IN ('PENDING', 'POSTED', 'VOIDED')),
  expires_at_ms  bigint NOT NULL
);
CREATE TABLE ledger_balances (
  account           text COLLATE "C" NOT NULL,
  currency          text COLLATE "C" NOT NULL,
  posted_minor      bigint NOT NULL,
  pending_in_minor  bigint NOT NULL CHECK (pending_in_minor >= 0),
  pending_out_minor bigint NOT NULL CHECK (pending_out_minor >= 0),
  PRIMARY KEY (account, currency)
);
CREATE TABLE idempotency (
  client_id     text COLLATE "C" NOT NULL,
  key           text COLLATE "C" NOT NULL,
  fingerprint   bytea NOT NULL,
  status        integer NOT NULL,
  content_type  bytea NOT NULL,
  location      bytea NOT NULL,
  body          bytea NOT NULL,
  created_at_ms bigint NOT NULL,
  expires_at_ms bigint NOT NULL,
  UNIQUE (client_id, key)
);
CREATE INDEX idempotency_by_expiry ON idempotency (expires_at_ms);
CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT coalesce(sum(amount_minor), 0) FROM ledger_entries
      WHERE transaction_id = NEW.transaction_id AND currency = NEW.currency
        AND phase IN ('PENDING', 'POSTED')) <> 0 THEN
    RAISE EXCEPTION 'ledger transaction % is unbalanced in %', NEW.transaction_id, NEW.currency
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
)sql";

// The outbox: messages to publish, written in the transaction of the events they announce, read
// by a relay in position order and kept after publication so consumers can replay. position is an
// identity column (never reused, even after purges). outbox_unpublished holds only rows still to
// send, so "unpublished after position" walks those alone; outbox_by_published holds only published
// rows, so the purge finds the oldest of them without walking the unsent ones.
constexpr std::string_view outbox_schema = R"sql(
CREATE TABLE outbox (
  position        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  message_id      text COLLATE "C" NOT NULL UNIQUE CHECK (message_id <> ''),
  stream_id       text COLLATE "C" NOT NULL,
  subject         text NOT NULL CHECK (subject <> ''),
  payload         bytea NOT NULL,
  created_at_ms   bigint NOT NULL,
  published_at_ms bigint
);
CREATE INDEX outbox_unpublished ON outbox (position) WHERE published_at_ms IS NULL;
CREATE INDEX outbox_by_published ON outbox (published_at_ms) WHERE published_at_ms IS NOT NULL;
)sql";

// Version 3 checks the zero-sum rule once per INSERT statement instead of once per row at commit.
// The row trigger planned and ran a look-up for every posting (a quarter of the batch writer's
// time in its session); the statement trigger groups the statement's own rows (its transition
// table). A statement must therefore carry whole transactions, which the batch writer does: every
// row of a batch goes in one INSERT. The guarantee holds for the table: if each statement's rows
// sum to zero per transaction and currency, so do all rows (phase updates move whole transactions
// together, and only INSERT adds amounts).
constexpr std::string_view statement_balance_check = R"sql(
DROP TRIGGER ledger_entries_balanced ON ledger_entries;
CREATE OR REPLACE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  unbalanced record;
BEGIN
  SELECT transaction_id, currency INTO unbalanced FROM inserted
    WHERE phase IN ('PENDING', 'POSTED')
    GROUP BY transaction_id, currency HAVING sum(amount_minor) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transaction % is unbalanced in %', unbalanced.transaction_id,
      unbalanced.currency USING ERRCODE = 'check_violation';
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  REFERENCING NEW TABLE AS inserted FOR EACH STATEMENT EXECUTE FUNCTION ledger_check_balanced();
)sql";

// Version 4 stores no copy of the event in its outbox row: a row names its event (stream_id,
// version) and the relay reads the event with it. The copy was most of a row's bytes and of the
// work of writing it. The message id "<stream_id>:<version>" gives the version of older rows; its
// UNIQUE guard becomes one on (stream_id, version), and created_at_ms goes, as the event's own
// time dates the message. A row whose id is not of that form or names no stored event (older
// builds did not check either) fails the migration, naming the row: it would otherwise announce
// another event, or stop every later read.
constexpr std::string_view outbox_names_its_event = R"sql(
ALTER TABLE outbox ADD COLUMN version bigint;
UPDATE outbox SET version = CASE
  WHEN message_id = stream_id || ':' || substring(message_id from ':([1-9][0-9]{0,17})$')
  THEN substring(message_id from ':([1-9][0-9]{0,17})$')::bigint END;
DO $$
DECLARE
  stray record;
BEGIN
  SELECT o.position, o.message_id INTO stray FROM outbox o
    WHERE o.version IS NULL OR NOT EXISTS (
      SELECT 1 FROM events e WHERE e.stream_id = o.stream_id AND e.version = o.version)
    ORDER BY o.position LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'outbox row at position % (message id %) names no event of its stream',
      stray.position, stray.message_id;
  END IF;
END
$$;
ALTER TABLE outbox ALTER COLUMN version SET NOT NULL;
ALTER TABLE outbox ADD CONSTRAINT outbox_version_check CHECK (version > 0);
ALTER TABLE outbox DROP COLUMN message_id;
ALTER TABLE outbox DROP COLUMN payload;
ALTER TABLE outbox DROP COLUMN created_at_ms;
ALTER TABLE outbox ADD CONSTRAINT outbox_names_one_event UNIQUE (stream_id, version);
)sql";

// Version 5 finds a pending transaction's rows by the range of entry ids stored with it (as the
// SQLite store does), filtered by transaction id, instead of by an index on (transaction_id,
// currency), which took two index entries per pledge: the server's batch process spent 69-75 ->
// 66-72 us per HTTP pledge in interleaved runs. Ranges of older pending transactions come from
// their rows before the index goes.
constexpr std::string_view pending_entry_ranges = R"sql(
ALTER TABLE ledger_pending ADD COLUMN first_entry_id bigint, ADD COLUMN last_entry_id bigint;
UPDATE ledger_pending p SET first_entry_id = r.first_id, last_entry_id = r.last_id
  FROM (SELECT transaction_id, min(entry_id) AS first_id, max(entry_id) AS last_id
        FROM ledger_entries GROUP BY transaction_id) AS r
  WHERE r.transaction_id = p.transaction_id;
DO $$
DECLARE
  stray text;
BEGIN
  SELECT transaction_id INTO stray FROM ledger_pending WHERE first_entry_id IS NULL LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'pending transaction % has no ledger rows', stray;
  END IF;
END
$$;
ALTER TABLE ledger_pending ALTER COLUMN first_entry_id SET NOT NULL,
  ALTER COLUMN last_entry_id SET NOT NULL;
DROP INDEX IF EXISTS ledger_entries_by_transaction;
)sql";

constexpr migration builtin[] = {
    {1, "initial_schema", initial_schema},
    {2, "outbox", outbox_schema},
    {3, "zero-sum check per statement", statement_balance_check},
    {4, "outbox rows name their event", outbox_names_its_event},
    {5, "pending transactions keep their rows' range", pending_entry_ranges},
};

// Any constant both this build and other processes agree on; it only serialises migrators.
constexpr std::int64_t migration_lock_key = 0x7061796f72636801;

void append_line(std::string* report, const std::string& line) {
  if (report == nullptr) return;
  if (!report->empty()) *report += '\n';
  *report += line;
}

/// Applies `step` unless already recorded; true if it was applied now.
bool apply_one(pqxx::connection& conn, const migration& step) {
  pqxx::work txn(conn);
  txn.exec_params("SELECT pg_advisory_xact_lock($1)", migration_lock_key);
  txn.exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, "
      "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())");
  if (!txn.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", step.version).empty())
    return false;  // the destructor rolls back the lock-only transaction
  txn.exec(std::string(step.sql));
  txn.exec_params("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", step.version,
                  std::string(step.name));
  txn.commit();
  return true;
}

}  // namespace

std::span<const migration> builtin_migrations() {
  return builtin;
}

void require_utf8_database(pqxx::connection& conn) {
  pqxx::nontransaction probe(conn);
  const auto encoding = probe.exec1("SHOW server_encoding")[0].as<std::string>();
  if (encoding != "UTF8")
    throw std::runtime_error("the database's encoding is " + encoding +
                             "; payorch needs a UTF8 database (CREATE DATABASE ... ENCODING "
                             "'UTF8')");
}

bool check_migrations(const std::string& uri, std::span<const migration> list, std::string* error) {
  try {
    pqxx::connection conn(uri);
    require_utf8_database(conn);
    pqxx::read_transaction txn(conn);
    const bool has_table = !txn.exec("SELECT to_regclass('schema_migrations')")[0][0].is_null();
    std::string pending;
    for (const migration& step : list) {
      const bool applied =
          has_table &&
          !txn.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", step.version)
               .empty();
      if (!applied)
        pending += (pending.empty() ? "" : ", ") + std::to_string(step.version) + " (" +
                   std::string(step.name) + ")";
    }
    if (pending.empty()) return true;
    if (error != nullptr)
      *error = "schema migrations pending: " + pending + "; run `payorch migrate`";
    return false;
  } catch (const std::exception& e) {
    if (error != nullptr) *error = std::string("connect: ") + e.what();
    return false;
  }
}

bool apply_migrations(const std::string& uri, std::span<const migration> list, std::string* report,
                      std::string* error) {
  std::unique_ptr<pqxx::connection> conn;
  try {
    conn = std::make_unique<pqxx::connection>(uri);
    require_utf8_database(*conn);
  } catch (const std::exception& e) {
    if (error != nullptr) *error = std::string("connect: ") + e.what();
    return false;
  }
  int applied = 0;
  for (const migration& step : list) {
    try {
      if (apply_one(*conn, step)) {
        ++applied;
        append_line(report, "applied " + std::to_string(step.version) + " (" +
                                std::string(step.name) + ")");
      }
    } catch (const std::exception& e) {
      if (error != nullptr) {
        *error = "migration " + std::to_string(step.version) + " (" + std::string(step.name) +
                 ") failed and was rolled back: " + e.what();
      }
      return false;
    }
  }
  if (applied == 0) append_line(report, "schema is up to date");
  return true;
}

}  // namespace payorch::persistence::postgres

namespace payorch::persistence {

bool migrate_postgres(const std::string& uri, std::string* report, std::string* error) {
  return postgres::apply_migrations(uri, postgres::builtin_migrations(), report, error);
}

}  // namespace payorch::persistence
