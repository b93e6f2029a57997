// The chain verifier of sqlite_journal.
#include "persistence/hash_chain.hpp"
#include "persistence/sqlite/sqlite_journal.hpp"

namespace payorch::persistence::sqlite {

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
