#pragma once
/// The journal writer actor's protocol: entity actors append events and read their streams here.
///
/// The journal actor owns a `journal_backend` (the group-commit writer thread in production, an
/// inline store in deterministic tests). It holds each requester's promise until the backend says
/// the batch holding the request is durable, so a reply always means "committed".

#include <caf/atom.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/type_id.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

#include "persistence/journal.hpp"

namespace payorch::persistence {

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, new_event& x) {
  return f(caf::meta::type_name("new_event"), x.event_type, x.payload, x.recorded_at_ms);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event_record& x) {
  return f(caf::meta::type_name("event_record"), x.stream_id, x.version, x.event_type, x.payload,
           x.recorded_at_ms, x.prev_hash, x.hash);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_request& x) {
  return f(caf::meta::type_name("append_request"), x.stream_id, x.expected_version, x.events);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_result& x) {
  return f(caf::meta::type_name("append_result"), x.status, x.last_version, x.detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_record& x) {
  return f(caf::meta::type_name("snapshot_record"), x.stream_id, x.version, x.payload);
}

/// CAF 0.17 cannot serialise std::optional, so the snapshot travels as a list of zero or one.
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_read& x) {
  std::vector<snapshot_record> snapshots;
  if (x.snapshot) snapshots.push_back(*x.snapshot);
  auto restore = caf::meta::load_callback([&]() -> caf::error {
    x.snapshot.reset();
    if (!snapshots.empty()) x.snapshot = std::move(snapshots.front());
    return caf::none;
  });
  return f(caf::meta::type_name("stream_read"), x.ok, x.detail, snapshots, restore, x.events);
}

}  // namespace payorch::persistence

namespace payorch::actors {

/// Asks for a stream's snapshot and the events after it.
struct read_stream {
  std::string stream_id;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_stream& x) {
  return f(caf::meta::type_name("read_stream"), x.stream_id);
}

/// The backend's answer to one append, sent by the writer thread back to the journal actor.
struct append_completed {
  std::uint64_t ticket = 0;
  persistence::append_result result;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, append_completed& x) {
  return f(caf::meta::type_name("append_completed"), x.ticket, x.result);
}

/// The answers to every append of one committed batch, sent once per batch by the writer thread
/// (one cross-thread message per batch instead of one per append).
struct appends_completed {
  std::vector<append_completed> items;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, appends_completed& x) {
  return f(caf::meta::type_name("appends_completed"), x.items);
}

/// The backend's answer to one read, sent by the writer thread back to the journal actor.
struct read_completed {
  std::uint64_t ticket = 0;
  persistence::stream_read result;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, read_completed& x) {
  return f(caf::meta::type_name("read_completed"), x.ticket, x.result);
}

/// The journal writer actor.
using journal_actor =
    caf::typed_actor<caf::replies_to<persistence::append_request>::with<persistence::append_result>,
                     caf::replies_to<read_stream>::with<persistence::stream_read>,
                     caf::reacts_to<persistence::snapshot_record>,
                     caf::reacts_to<appends_completed>, caf::reacts_to<read_completed>,
                     caf::reacts_to<caf::tick_atom>>;

}  // namespace payorch::actors
