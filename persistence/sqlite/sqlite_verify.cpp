// The chain verifier of sqlite_journal.
#include "persistence/hash_chain.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"

namespace payorch::persistence::sqlite {
namespace {

/// Walks events in (stream_id, version) order and remembers what the next one must link to.
class chain_walker {
 public:
  /// Returns why `event` breaks its chain, or an empty string if it is intact.
  std::string check(const event_record& event) {
    if (!started_ || event.stream_id != stream_id_) start_stream(event.stream_id);
    if (event.version != next_version_) {
      return "version " + std::to_string(event.version) + " where " +
             std::to_string(next_version_) + " was expected";
    }
    if (event.prev_hash != prev_hash_)
      return "prev_hash does not match the hash of the previous event";
    const std::string expected =
        event_hash({event.prev_hash, event.stream_id, event.version, event.event_type,
                    event.recorded_at_ms, event.payload});
    if (event.hash != expected) return "hash does not match the event's contents";
    ++next_version_;
    prev_hash_ = event.hash;
    return {};
  }

  [[nodiscard]] std::int64_t streams() const { return streams_; }

 private:
  void start_stream(const std::string& stream_id) {
    started_ = true;
    stream_id_ = stream_id;
    next_version_ = 1;
    prev_hash_ = genesis_hash;
    ++streams_;
  }

  bool started_ = false;
  std::string stream_id_;
  std::int64_t next_version_ = 1;
  std::string prev_hash_;
  std::int64_t streams_ = 0;
};

}  // namespace

verify_report sqlite_journal::verify() {
  verify_report report;
  if (!run(begin_read_)) {
    report.detail = "begin: " + last_error(db_.get());
    return report;
  }
  chain_walker walker;
  const reset_guard guard(select_all_events_);
  for (;;) {
    const step_result step = select_all_events_.step();
    if (step == step_result::done) break;
    if (step != step_result::row) {
      report.detail = "read events: " + last_error(db_.get());
      report.streams_checked = walker.streams();
      select_all_events_.reset();
      rollback();
      return report;
    }
    event_record event = event_from_row(select_all_events_);
    std::string broken = walker.check(event);
    if (!broken.empty()) {
      report.streams_checked = walker.streams();
      report.detail = event.stream_id + " version " + std::to_string(event.version) + ": " + broken;
      report.first_broken = std::move(event);
      select_all_events_.reset();
      rollback();
      return report;
    }
    ++report.events_checked;
  }
  select_all_events_.reset();
  run(commit_);
  report.streams_checked = walker.streams();
  report.ok = true;
  report.detail = std::to_string(report.events_checked) + " events in " +
                  std::to_string(report.streams_checked) + " streams intact";
  return report;
}

}  // namespace payorch::persistence::sqlite
