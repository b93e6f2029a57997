#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "tests/support/actor_fixture.hpp"

namespace payorch::testing {
namespace {

using actors::create_pod;
using actors::get_pod;
using actors::pod_view;
using actors::router_stats;
using actors::router_stats_request;

constexpr const char* pod_a = "pod_00000000000000a1";

create_pod summer_trip(std::string id = pod_a) {
  return create_pod{std::move(id), "Summer Trip 2025", "EUR", {"5000", "0.66", "STANDARD"},
                    "user_1",      1716387062000};
}

class pod_actor_test : public actor_fixture {
 protected:
  router_stats stats() { return *ask<router_stats>(runtime_->pods(), router_stats_request{}); }
};

// Goal: a created pod is answered as DRAFT with its exact policy, and reads return the same.
TEST_F(pod_actor_test, create_then_read) {
  auto created = ask<pod_view>(runtime_->pods(), summer_trip());
  ASSERT_TRUE(created) << created.error().detail;
  EXPECT_EQ(created->status, "DRAFT");
  EXPECT_EQ(created->policy.voting_quorum, "0.66");
  EXPECT_EQ(created->policy.spending_limit, "5000");
  EXPECT_EQ(created->version, 2);  // CrowdPodCreated, then MemberJoined for the creator
  auto read = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->name, "Summer Trip 2025");
  EXPECT_EQ(read->created_at_ms, 1716387062000);
}

// Goal: the Idempotency-Key of a create is claimed in the journal with the pod's events, and a
// refused create claims nothing.
TEST_F(pod_actor_test, create_claims_its_idempotency_key_with_its_events) {
  auto cmd = summer_trip();
  cmd.idempotency = {"key-1", "fingerprint-1", "client-1"};
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), cmd));
  auto claim = ask<actors::idempotency_lookup>(runtime_->journal_writer(),
                                       actors::get_idempotency{"client-1", "key-1"});
  ASSERT_TRUE(claim) << claim.error().detail;
  ASSERT_TRUE(claim->found);
  EXPECT_EQ(claim->record.status, 0);
  EXPECT_EQ(claim->record.fingerprint, "fingerprint-1");
  EXPECT_EQ(claim->record.created_at_ms, 1716387062000);
  auto refused = summer_trip("pod_00000000000000a2");
  refused.policy.voting_quorum = "1.5";
  refused.idempotency = {"key-2", "fingerprint-2", "client-1"};
  ASSERT_FALSE(ask<pod_view>(runtime_->pods(), refused));
  auto none = ask<actors::idempotency_lookup>(runtime_->journal_writer(),
                                      actors::get_idempotency{"client-1", "key-2"});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->found);
}

// Goal: a create whose requester lends a renderer stores the rendered answer with its events
// (no claim, no later put) and says so on the receipt; a retry that finds the pod stores
// nothing and leaves its receipt unset.
TEST_F(pod_actor_test, create_stores_its_rendered_answer_with_its_events) {
  auto cmd = summer_trip();
  cmd.idempotency = {"key-1", "fingerprint-1", "client-1",
                     std::make_shared<actors::answer_receipt>()};
  cmd.render_answer = [](const pod_view& v) {
    return actors::stored_answer{
        201, "application/json", "/pods/" + v.pod_id,
        "{\"pod_id\":\"" + v.pod_id + "\",\"status\":\"" + v.status + "\"}"};
  };
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), cmd));
  const actors::stored_answer expected{
      201, "application/json", std::string("/pods/") + pod_a,
      std::string("{\"pod_id\":\"") + pod_a + "\",\"status\":\"DRAFT\"}"};
  EXPECT_TRUE(cmd.idempotency.receipt->stored);
  EXPECT_EQ(cmd.idempotency.receipt->answer, expected);
  auto stored = ask<actors::idempotency_lookup>(runtime_->journal_writer(),
                                                actors::get_idempotency{"client-1", "key-1"});
  ASSERT_TRUE(stored) << stored.error().detail;
  ASSERT_TRUE(stored->found);
  EXPECT_EQ(stored->record.status, 201);
  EXPECT_EQ(stored->record.content_type, expected.content_type);
  EXPECT_EQ(stored->record.location, expected.location);
  EXPECT_EQ(stored->record.body, expected.body);
  EXPECT_EQ(stored->record.fingerprint, "fingerprint-1");

  auto retry = cmd;
  retry.idempotency.receipt = std::make_shared<actors::answer_receipt>();
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), retry));
  EXPECT_FALSE(retry.idempotency.receipt->stored);
}

// Goal: an append request survives CAF serialisation whole (as it will between nodes): its
// events, ledger commands, outbox messages and idempotency claim, or the absence of a claim.
TEST_F(pod_actor_test, append_requests_serialise_whole) {
  persistence::append_request req;
  req.stream_id = pod_a;
  req.expected_version = 3;
  req.events = {{"FundsPledged", R"({"a":1})", 42}};
  req.ledger = {{"plg_1", ledger_phase::pending, {{"a", "EUR", -5}, {"b", "EUR", 5}}, 99, ""}};
  req.outbox = {{4, "crowdpay.crowdpod.v1.FundsPledged"}};
  persistence::idempotency_record claim;
  claim.client_id = "client-1";
  claim.key = "key-1";
  claim.fingerprint = "fp";
  claim.created_at_ms = 1;
  claim.expires_at_ms = 2;
  req.idempotency_claim = claim;
  for (bool with_claim : {true, false}) {
    if (!with_claim) req.idempotency_claim.reset();
    std::vector<char> buf;
    caf::binary_serializer sink{sys(), buf};
    ASSERT_FALSE(sink(req));
    persistence::append_request back;
    back.idempotency_claim = claim;  // a stale value the load must clear
    caf::binary_deserializer source{sys(), buf};
    ASSERT_FALSE(source(back));
    EXPECT_EQ(back.stream_id, req.stream_id);
    EXPECT_EQ(back.expected_version, 3);
    ASSERT_EQ(back.events.size(), 1U);
    EXPECT_EQ(back.events[0].payload, R"({"a":1})");
    EXPECT_EQ(back.ledger, req.ledger);
    ASSERT_EQ(back.outbox.size(), 1U);
    EXPECT_EQ(back.outbox[0].version, 4);
    EXPECT_EQ(back.outbox[0].subject, "crowdpay.crowdpod.v1.FundsPledged");
    EXPECT_EQ(back.idempotency_claim.has_value(), with_claim);
    if (with_claim) EXPECT_EQ(back.idempotency_claim->key, "key-1");
  }
}

// Goal: bad input is refused with the field named, and nothing is journaled.
TEST_F(pod_actor_test, invalid_policy_is_refused_and_leaves_no_pod) {
  auto cmd = summer_trip();
  cmd.policy.voting_quorum = "1.5";
  auto r = ask<pod_view>(runtime_->pods(), cmd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::invalid_quorum);
  EXPECT_EQ(r.error().param, "policy.voting_quorum");
  cmd = summer_trip();
  cmd.currency = "EUX";
  r = ask<pod_view>(runtime_->pods(), cmd);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, errc::unknown_currency);
  EXPECT_EQ(ask<pod_view>(runtime_->pods(), get_pod{pod_a}).error().code, errc::not_found);
}

// Goal: creating the same pod twice is a conflict, not a second pod.
TEST_F(pod_actor_test, duplicate_create_is_rejected) {
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
  auto again = ask<pod_view>(runtime_->pods(), summer_trip());
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, errc::already_exists);
}

// Goal: an idle pod passivates, and the next command recovers it from the journal.
TEST_F(pod_actor_test, idle_pod_passivates_and_recovers) {
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
  EXPECT_EQ(stats().live, 1u);
  // The router sweeps for idle pods every quarter of the idle timeout.
  advance(options_.entities.idle_timeout / 2);
  EXPECT_EQ(stats().live, 1u);  // not idle long enough yet
  for (int i = 0; i < 3; ++i)
    advance(options_.entities.idle_timeout / 4 + std::chrono::milliseconds(1));
  EXPECT_EQ(stats().live, 0u);
  EXPECT_EQ(stats().passivated, 1u);
  auto read = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  ASSERT_TRUE(read);
  EXPECT_EQ(read->status, "DRAFT");
  EXPECT_EQ(read->version, 2);
  EXPECT_EQ(stats().spawned, 2u);
}

// Goal: the router keeps canonical ids as their bits and any other id as text; both kinds live,
// route, passivate and recover side by side, and the two ids that differ only in case (one of
// them not canonical) are two pods.
TEST_F(pod_actor_test, canonical_and_other_ids_route_side_by_side) {
  const std::string other = "pod_00000000000000A1";  // upper case: not canonical
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
  auto other_create = summer_trip(other);
  other_create.name = "Other trip";
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), other_create));
  EXPECT_EQ(stats().live, 2u);
  for (int i = 0; i < 5; ++i)
    advance(options_.entities.idle_timeout / 4 + std::chrono::milliseconds(1));
  EXPECT_EQ(stats().live, 0u);
  EXPECT_EQ(stats().passivated, 2u);
  auto canonical = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  auto text = ask<pod_view>(runtime_->pods(), get_pod{other});
  ASSERT_TRUE(canonical);
  ASSERT_TRUE(text);
  EXPECT_EQ(canonical->pod_id, pod_a);
  EXPECT_EQ(canonical->name, "Summer Trip 2025");
  EXPECT_EQ(text->pod_id, other);
  EXPECT_EQ(text->name, "Other trip");
  EXPECT_EQ(stats().live, 2u);
  EXPECT_EQ(stats().spawned, 4u);
}

// Goal: a pod survives a restart of the whole runtime (state comes only from the journal).
TEST_F(pod_actor_test, pod_survives_runtime_restart) {
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
  start();
  auto read = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  ASSERT_TRUE(read) << read.error().detail;
  EXPECT_EQ(read->policy.risk_tier, "STANDARD");
}

// Goal: a failed append stops the pod, which its next command starts again from the journal;
// a journal failure is not the pod's fault, so it uses none of its restart budget.
TEST_F(pod_actor_test, failed_append_restarts_pod_from_journal) {
  backend_->fail_next_appends = 1;
  auto failed = ask<pod_view>(runtime_->pods(), summer_trip());
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error().code, errc::storage_unavailable);
  EXPECT_EQ(stats().stopped_by_storage, 1u);
  EXPECT_EQ(stats().restarted, 0u);
  EXPECT_EQ(ask<pod_view>(runtime_->pods(), get_pod{pod_a}).error().code, errc::not_found);
  EXPECT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
}

// Goal: a write the journal refuses for the pod's own fault (its ledger disagrees) is a crash:
// the pod is restarted at once, and that restart counts against its budget.
TEST_F(pod_actor_test, a_ledger_refusal_is_a_crash_of_the_pod) {
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
  backend_->refuse_ledger_of_next_appends = 1;
  auto refused = ask<pod_view>(
      runtime_->pods(),
      actors::change_pod_status{
          pod_a, {"user_1", false}, pod_transition::policy_accepted, "", 1716387063000});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::internal_error);
  EXPECT_EQ(stats().restarted, 1u);
  EXPECT_EQ(stats().stopped_by_storage, 0u);
  EXPECT_TRUE(ask<pod_view>(runtime_->pods(), get_pod{pod_a}));
}

// Goal: a storage outage longer than the restart budget (every write failing) does not
// quarantine the pod: once storage answers, the next command is served.
TEST_F(pod_actor_test, a_storage_outage_does_not_quarantine_the_pod) {
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
  auto budget = options_.entities.max_restarts;
  for (std::size_t i = 0; i <= budget + 2; ++i) {
    backend_->fail_next_appends = 1;
    auto failed = ask<pod_view>(
        runtime_->pods(),
        actors::change_pod_status{
            pod_a, {"user_1", false}, pod_transition::policy_accepted, "", 1716387063000});
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, errc::storage_unavailable);
  }
  EXPECT_EQ(stats().quarantined, 0u);
  auto served = ask<pod_view>(
      runtime_->pods(),
      actors::change_pod_status{
          pod_a, {"user_1", false}, pod_transition::policy_accepted, "", 1716387063000});
  ASSERT_TRUE(served) << served.error().detail;
  EXPECT_EQ(served->status, "ACTIVE");
}

// Goal: a pod that keeps crashing (an event of its journal does not apply) is restarted within
// its budget, then quarantined until the window passes; the budget is dropped once it is whole.
TEST_F(pod_actor_test, crash_loop_is_bounded_then_quarantined) {
  persistence::append_request bogus;
  bogus.stream_id = pod_a;
  bogus.expected_version = 0;
  bogus.events.push_back({"NoSuchEvent", "{}", 1716387062000});
  std::optional<persistence::append_status> written;
  backend_->submit(bogus, [&](persistence::append_result r) { written = r.status; });
  sched().run();
  ASSERT_EQ(written, persistence::append_status::committed);
  auto refused = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  ASSERT_FALSE(refused);
  const auto budget = options_.entities.max_restarts;
  EXPECT_EQ(stats().restarted, budget);
  EXPECT_EQ(stats().quarantined, 1u);
  auto quarantined = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  ASSERT_FALSE(quarantined);
  EXPECT_EQ(quarantined.error().code, errc::entity_unavailable);
  EXPECT_NE(quarantined.error().detail.find("quarantined"), std::string::npos);
  // Past the window the pod is tried again (and, its journal still broken, fails again).
  advance(options_.entities.restart_window);
  auto again = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  ASSERT_FALSE(again);
  EXPECT_EQ(stats().restarted, 2 * budget);
}

// Goal: reading a pod that does not exist leaves no actor behind.
TEST_F(pod_actor_test, unknown_pod_does_not_stay_in_memory) {
  EXPECT_EQ(ask<pod_view>(runtime_->pods(), get_pod{pod_a}).error().code, errc::not_found);
  EXPECT_EQ(stats().live, 0u);
  // Two look-ups queued at once: the first one's passivation is refused (the second is on its
  // way), and the pod asks again after answering it.
  caf::scoped_actor client{sys()};
  auto one = client->request(runtime_->pods(), caf::infinite, get_pod{pod_a});
  auto two = client->request(runtime_->pods(), caf::infinite, get_pod{pod_a});
  sched().run();
  for (auto* pending : {&one, &two}) {
    std::optional<errc> code;
    pending->receive([&](pod_view&) { code = errc::ok; },
                     [&](caf::error& e) { code = actors::to_failure(e).code; });
    EXPECT_EQ(code, errc::not_found);
  }
  EXPECT_EQ(stats().live, 0u);
  EXPECT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
  EXPECT_EQ(stats().live, 1u);
}

// Goal: an append the journal writer never answers fails after the journal timeout, and the
// pod restarts from the journal (no request waits forever on a stuck disk).
TEST_F(pod_actor_test, stuck_journal_write_is_answered_after_timeout) {
  backend_->hang_next_appends = 1;
  caf::scoped_actor client{sys()};
  auto pending = client->request(runtime_->pods(), caf::infinite, summer_trip());
  sched().run();
  EXPECT_EQ(backend_->hung.size(), 1u);
  advance(options_.entities.journal_timeout + std::chrono::seconds(1));
  std::optional<errc> code;
  pending.receive([&](pod_view&) { code = errc::ok; },
                  [&](caf::error& e) { code = actors::to_failure(e).code; });
  EXPECT_EQ(code, errc::storage_unavailable);
  EXPECT_EQ(stats().stopped_by_storage, 1u);
  EXPECT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
}

// Goal: a command routed to a pod right behind the sweep that found it idle keeps the pod: the
// router refuses the passivation the pod asked for before that command reached it, so no second
// actor recovers the pod from the journal while the first still works on it; the next reader
// sees what the command did, and the other (idle) pod passivates.
TEST_F(pod_actor_test, a_command_behind_the_idle_sweep_keeps_its_pod) {
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip("pod_00000000000000a2")));
  const auto quarter = options_.entities.idle_timeout / 4 + std::chrono::milliseconds(1);
  advance(options_.entities.idle_timeout / 2);
  advance(quarter);
  const auto spawned = stats().spawned;
  sched().advance_time(quarter);  // the sweep: both pods are idle
  caf::scoped_actor client{sys()};
  auto pending = client->request(
      runtime_->pods(), caf::infinite,
      actors::change_pod_status{
          pod_a, {"user_1", false}, pod_transition::policy_accepted, "", 1716387063000});
  sched().run();
  std::optional<std::string> status;
  pending.receive([&](pod_view& v) { status = v.status; },
                  [&](caf::error& e) { ADD_FAILURE() << actors::to_failure(e).detail; });
  EXPECT_EQ(status, "ACTIVE");
  EXPECT_EQ(stats().passivated, 1u);  // the other pod only
  auto first = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->status, "ACTIVE");
  EXPECT_EQ(stats().spawned, spawned) << "a second actor recovered the pod";
  // Idle again for the whole timeout, it passivates at a later sweep.
  advance(options_.entities.idle_timeout + quarter);
  EXPECT_EQ(stats().passivated, 2u);
  EXPECT_EQ(stats().live, 0u);
}

// Goal: a pod that fails while finishing a command that reached it behind the idle sweep (its
// append hangs and times out) is restarted like any live pod, since the router kept it; the
// router, and every other pod, stay up, and the timed-out command leaves nothing behind.
TEST_F(pod_actor_test, a_pod_failing_on_a_command_behind_the_idle_sweep_is_restarted) {
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip("pod_00000000000000a2")));
  const auto router = runtime_->pods();
  const auto quarter = options_.entities.idle_timeout / 4 + std::chrono::milliseconds(1);
  advance(options_.entities.idle_timeout / 2);
  advance(quarter);
  // The next sweep finds both pods idle. A command for the first is queued at the router right
  // behind that sweep, so it reaches the pod after the pod asked to passivate; the router keeps
  // the pod, and the pod's append for the command hangs and times out.
  sched().advance_time(quarter);
  backend_->hang_next_appends = 1;
  caf::scoped_actor client{sys()};
  auto pending = client->request(
      router, caf::infinite,
      actors::change_pod_status{
          pod_a, {"user_1", false}, pod_transition::policy_accepted, "", 1716387063000});
  sched().run();
  ASSERT_EQ(backend_->hung.size(), 1u);
  EXPECT_EQ(stats().passivated, 1u);
  advance(options_.entities.journal_timeout + std::chrono::seconds(1));
  std::optional<errc> code;
  pending.receive([&](pod_view&) { code = errc::ok; },
                  [&](caf::error& e) { code = actors::to_failure(e).code; });
  EXPECT_EQ(code, errc::storage_unavailable);
  EXPECT_EQ(runtime_->pods(), router) << "the router was restarted";
  EXPECT_EQ(stats().stopped_by_storage, 1u);
  auto first = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  ASSERT_TRUE(first) << first.error().detail;
  EXPECT_EQ(first->status, "DRAFT");  // the timed-out command left nothing behind
  EXPECT_TRUE(ask<pod_view>(runtime_->pods(), get_pod{"pod_00000000000000a2"}));
}

// Goal: when the journal actor dies mid-append, the waiting command is still answered
// (its promise is guarded), and the supervisor restarts the journal actor.
TEST_F(pod_actor_test, journal_crash_mid_append_still_answers) {
  backend_->hang_next_appends = 1;
  caf::scoped_actor client{sys()};
  auto pending = client->request(runtime_->pods(), caf::infinite, summer_trip());
  sched().run();
  auto journal = sys().registry().get<caf::actor>(actors::journal_registry_name());
  caf::anon_send_exit(journal, caf::exit_reason::unhandled_exception);  // as a crash would
  sched().run();
  std::optional<errc> code;
  pending.receive([&](pod_view&) { code = errc::ok; },
                  [&](caf::error& e) { code = actors::to_failure(e).code; });
  EXPECT_EQ(code, errc::entity_unavailable);
  auto restarted = sys().registry().get<caf::actor>(actors::journal_registry_name());
  ASSERT_TRUE(restarted);
  EXPECT_NE(restarted.address(), journal.address());
  EXPECT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip()));
}

// Goal: many pods are independent actors.
TEST_F(pod_actor_test, pods_are_independent) {
  for (int i = 0; i < 20; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "pod_%016x", i + 1);
    ASSERT_TRUE(ask<pod_view>(runtime_->pods(), summer_trip(id)));
  }
  EXPECT_EQ(stats().live, 20u);
}

}  // namespace
}  // namespace payorch::testing
