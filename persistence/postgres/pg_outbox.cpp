// The outbox of postgres_journal: checking and staging an append's messages within a batch, and
// the relay's reads, marks and purges.
//
// A request's messages are checked on their own (each names one of the request's events, once: as
// event versions are unique, so are the messages, and nothing is read to check them), so a refused
// request changes nothing; they are written with one multi-row INSERT at the end of the batch. A
// row holds the event's stream and version and the subject only: the relay's read joins the event.
// The table's UNIQUE (stream_id, version) stays as a last guard: if a stray row trips it, the batch
// is retried with the messages read from the table, and the request naming a taken one is refused
// alone.
#include <algorithm>
#include <chrono>

#include "persistence/outbox_rules.hpp"
#include "persistence/postgres/pg_journal.hpp"

namespace payorch::persistence::postgres {
namespace {

std::int64_t page_limit(std::size_t limit) {
  return static_cast<std::int64_t>(limit < max_page_rows ? limit : max_page_rows);
}

outbox_entry entry_from_row(const pqxx::row& row) {
  outbox_entry entry;
  entry.position = row[0].as<std::int64_t>();
  entry.stream_id = row[1].as<std::string>();
  entry.version = row[2].as<std::int64_t>();
  entry.subject = row[3].as<std::string>();
  if (!row[4].is_null()) entry.published_at_ms = row[4].as<std::int64_t>();
  entry.event_type = row[5].as<std::string>();
  entry.payload = pqxx::binarystring(row[6]).str();
  entry.recorded_at_ms = row[7].as<std::int64_t>();
  return entry;
}

/// A read of outbox rows with their events; the LEFT JOIN keeps a row whose event is gone, so the
/// read can report it instead of skipping it.
std::string outbox_read(std::string_view where) {
  return "SELECT o.position, o.stream_id, o.version, o.subject, o.published_at_ms, e.event_type, "
         "e.payload, e.recorded_at_ms FROM outbox o LEFT JOIN events e ON e.stream_id = "
         "o.stream_id AND e.version = o.version " +
         std::string(where) + " ORDER BY o.position LIMIT $2";
}

}  // namespace

void prepare_outbox_statements(const statement_preparer& prepare) {
  // Positions follow the order of the requests and their messages (ORDER BY ordinality). A relay
  // reading "after position" also needs them to become visible in position order: identity values
  // are handed out at insert, not at commit, so two sessions inserting at once could commit a
  // lower position after a higher one. That cannot happen here because each store has one writer
  // that commits its batches one after another (a second writing process would have to serialise
  // its outbox inserts, e.g. with an advisory lock held to commit).
  prepare("insert_outbox",
          "INSERT INTO outbox (stream_id, version, subject) SELECT s, v, j FROM "
          "unnest($1::text[], $2::bigint[], $3::text[]) WITH ORDINALITY AS u(s, v, j, n) "
          "ORDER BY n");
  prepare("read_outbox", outbox_read("WHERE o.position > $1"));
  prepare("read_outbox_unpublished",
          outbox_read("WHERE o.published_at_ms IS NULL AND o.position > $1"));
  prepare("mark_outbox",
          "UPDATE outbox SET published_at_ms = $2 WHERE position = ANY($1::bigint[]) "
          "AND published_at_ms IS NULL");
  prepare("purge_outbox",
          "DELETE FROM outbox WHERE position IN (SELECT position FROM outbox "
          "WHERE published_at_ms < $1 ORDER BY published_at_ms LIMIT $2)");
}

// ---- inside commit_batch ----

void batch_writer::load_taken_message_ids(std::span<const append_request> appends) {
  std::vector<std::string_view> streams;
  std::vector<std::int64_t> versions;
  for (const append_request& request : appends) {
    if (!storable_text(request.stream_id)) continue;
    for (const outbox_message& message : request.outbox) {
      streams.push_back(request.stream_id);
      versions.push_back(message.version);
    }
  }
  if (streams.empty()) return;
  for (const auto& row :
       txn_.exec_prepared("taken_message_ids", text_array(streams), int_array(versions)))
    state_.taken_message_ids.insert(row[0].as<std::string>());
}

std::optional<append_result> batch_writer::check_outbox(const append_request& request) const {
  if (std::string why = malformed_outbox(request); !why.empty())
    return outbox_refusal(std::move(why));
  if (state_.taken_message_ids.empty()) return std::nullopt;
  for (const outbox_message& message : request.outbox) {
    const std::string id = request.stream_id + ":" + std::to_string(message.version);
    if (state_.taken_message_ids.contains(id))
      return outbox_refusal("message id " + id + " is taken");
  }
  return std::nullopt;
}

void batch_writer::stage_outbox(const append_request& request) {
  for (const outbox_message& message : request.outbox)
    state_.outbox.push_back({request.stream_id, message.version, message.subject});
}

void batch_writer::write_outbox() {
  if (state_.outbox.empty()) return;
  std::vector<std::string_view> streams, subjects;
  std::vector<std::int64_t> versions;
  for (const batch_state::outbox_row& row : state_.outbox) {
    streams.push_back(row.stream_id);
    versions.push_back(row.version);
    subjects.push_back(row.subject);
  }
  txn_.exec_prepared("insert_outbox", text_array(streams), int_array(versions),
                     text_array(subjects));
}

// ---- the relay's side ----

result<std::vector<outbox_entry>> postgres_journal::read_outbox(std::int64_t after_position,
                                                                std::size_t limit,
                                                                bool unpublished_only) {
  using answer = result<std::vector<outbox_entry>>;
  if (limit == 0) return std::vector<outbox_entry>{};
  return guarded(
      "read outbox",
      [&](pqxx::connection& conn) -> answer {
        pqxx::nontransaction txn(conn);
        std::vector<outbox_entry> entries;
        for (const auto& row :
             txn.exec_prepared(unpublished_only ? "read_outbox_unpublished" : "read_outbox",
                               after_position, page_limit(limit))) {
          if (row[5].is_null()) {
            return fail(errc::storage_unavailable,
                        "read outbox: the row at position " + row[0].as<std::string>() +
                            " names event " + row[1].as<std::string>() + ":" +
                            row[2].as<std::string>() + ", which is missing");
          }
          entries.push_back(entry_from_row(row));
        }
        return entries;
      },
      [](std::string why) -> answer { return fail(errc::storage_unavailable, std::move(why)); });
}

result<std::size_t> postgres_journal::mark_outbox_published(std::span<const std::int64_t> positions,
                                                            std::int64_t published_at_ms) {
  using answer = result<std::size_t>;
  if (positions.empty()) return std::size_t{0};
  const std::string array =
      int_array(std::vector<std::int64_t>(positions.begin(), positions.end()));
  return guarded(
      "mark outbox published",
      [&](pqxx::connection& conn) -> answer {
        pqxx::work txn(conn);
        const pqxx::result marked = txn.exec_prepared("mark_outbox", array, published_at_ms);
        txn.commit();
        return static_cast<std::size_t>(marked.affected_rows());
      },
      [](std::string why) -> answer { return fail(errc::storage_unavailable, std::move(why)); });
}

result<std::size_t> postgres_journal::purge_outbox(std::int64_t published_before_ms,
                                                   std::size_t max_rows) {
  using answer = result<std::size_t>;
  const std::size_t bounded = std::min(max_rows, outbox_purge_chunk);
  if (bounded == 0) return std::size_t{0};
  return guarded(
      "purge outbox",
      [&](pqxx::connection& conn) -> answer {
        pqxx::work txn(conn);
        const pqxx::result purged = txn.exec_prepared("purge_outbox", published_before_ms,
                                                      static_cast<std::int64_t>(bounded));
        txn.commit();
        return static_cast<std::size_t>(purged.affected_rows());
      },
      [](std::string why) -> answer { return fail(errc::storage_unavailable, std::move(why)); });
}

}  // namespace payorch::persistence::postgres
