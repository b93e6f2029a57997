// The CrowdPod aggregate under the deterministic scheduler: members, roles, the lifecycle,
// pledges and their ledger holds, cycles, and recovery of all of it from the journal.
#include <boost/json.hpp>
#include <limits>

#include "actors/pod_events.hpp"
#include "domain/ids.hpp"
#include "tests/support/actor_fixture.hpp"

namespace payorch::testing {
namespace {

using namespace actors;

constexpr const char* pod_a = "pod_00000000000000b1";
constexpr std::int64_t t0 = 1767225600000;  // 2026-01-01T00:00:00Z
constexpr std::int64_t day_ms = 24LL * 60 * 60 * 1000;

const caller owner{"owner_1", false};
const caller operator_admin{"ops", true};

class pod_membership_test : public actor_fixture {
 protected:
  void SetUp() override {
    create_pod cmd{pod_a, "Trip", "EUR", {"5000", "0.66", "STANDARD"}, owner.subject, t0};
    cmd.cycle = {"WEEKLY", "2026-01-01T00:00:00Z"};
    ASSERT_TRUE(ask<pod_view>(runtime_->pods(), cmd));
  }

  result<pod_view> transition(pod_transition t, caller by = owner, std::int64_t at = t0 + 1) {
    return ask<pod_view>(runtime_->pods(), change_pod_status{pod_a, by, t, "", at});
  }
  result<member_view> add(const std::string& user, const std::string& role) {
    return ask<member_view>(runtime_->pods(), add_member{pod_a, owner, user, role, t0 + 2});
  }
  /// The owner's pledge of `amount` for `user` (no Idempotency-Key).
  static make_pledge pledge_command(const std::string& id, const std::string& user,
                                    std::int64_t amount, const std::string& cur = "EUR",
                                    std::int64_t at = t0 + 3) {
    make_pledge cmd;
    cmd.pod_id = pod_a;
    cmd.by = owner;
    cmd.pledge_id = id;
    cmd.user_id = user;
    cmd.amount_minor = amount;
    cmd.currency = cur;
    cmd.requested_at_ms = at;
    return cmd;
  }
  result<pledge_view> pledge(const std::string& id, const std::string& user, std::int64_t amount,
                             const std::string& cur = "EUR", std::int64_t at = t0 + 3) {
    return ask<pledge_view>(runtime_->pods(), pledge_command(id, user, amount, cur, at));
  }
  result<pledge_view> settle(const std::string& id, caller by = owner, std::int64_t at = t0 + 4) {
    return ask<pledge_view>(runtime_->pods(), settle_pledge{pod_a, by, id, at});
  }
  balance_view balance(std::int64_t at = t0 + 5) {
    return *ask<balance_view>(runtime_->pods(), get_balance{pod_a, at});
  }
  /// An ACTIVE pod with a TREASURER, a MEMBER and an OBSERVER.
  void populate() {
    ASSERT_TRUE(transition(pod_transition::policy_accepted));
    ASSERT_TRUE(add("tess", "TREASURER"));
    ASSERT_TRUE(add("mia", "MEMBER"));
    ASSERT_TRUE(add("otto", "OBSERVER"));
  }
};

// Goal: the creator is the pod's first ADMIN member.
TEST_F(pod_membership_test, creator_is_admin_member) {
  auto m = ask<member_view>(runtime_->pods(), get_member{pod_a, owner.subject, t0});
  ASSERT_TRUE(m) << m.error().detail;
  EXPECT_EQ(m->role, "ADMIN");
  EXPECT_EQ(m->reputation_score, 50);
  auto pod = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  EXPECT_EQ(pod->member_count, 1);
  EXPECT_EQ(pod->cycle.period, "WEEKLY");
}

// Goal: only an ADMIN manages members; duplicates, bad roles and unknown members are refused.
TEST_F(pod_membership_test, member_management_checks_roles_and_input) {
  populate();
  auto by_member = ask<member_view>(runtime_->pods(),
                                    add_member{pod_a, caller{"mia", false}, "zoe", "MEMBER", t0});
  ASSERT_FALSE(by_member);
  EXPECT_EQ(by_member.error().code, errc::role_forbidden);
  auto stranger = ask<member_view>(runtime_->pods(),
                                   add_member{pod_a, caller{"nobody", false}, "zoe", "MEMBER", t0});
  EXPECT_EQ(stranger.error().code, errc::role_forbidden);
  EXPECT_EQ(add("mia", "MEMBER").error().code, errc::already_exists);
  EXPECT_EQ(add("zoe", "OWNER").error().code, errc::invalid_role);
  EXPECT_EQ(add("bad id", "MEMBER").error().param, "user_id");
  EXPECT_TRUE(
      ask<member_view>(runtime_->pods(), add_member{pod_a, operator_admin, "zoe", "MEMBER", t0}));
  auto changed =
      ask<member_view>(runtime_->pods(), change_member_role{pod_a, owner, "mia", "TREASURER", t0});
  ASSERT_TRUE(changed);
  EXPECT_EQ(changed->role, "TREASURER");
  EXPECT_EQ(
      ask<member_view>(runtime_->pods(), remove_member{pod_a, owner, "ghost", t0}).error().code,
      errc::not_found);
  EXPECT_TRUE(ask<member_view>(runtime_->pods(), remove_member{pod_a, owner, "zoe", t0}));
  EXPECT_EQ(ask<member_view>(runtime_->pods(), get_member{pod_a, "zoe", t0}).error().code,
            errc::not_found);
}

// Goal: a refusal read from a write still in flight waits for that write: while a member's
// removal is being written, "no such member" is not answered; the write failing, the reader is
// told the pod restarts, and the member is there after all.
TEST_F(pod_membership_test, a_refusal_waits_for_the_write_it_was_read_from) {
  populate();
  backend_->hang_next_appends = 1;
  caf::scoped_actor client{sys()};
  auto removal =
      client->request(runtime_->pods(), caf::infinite, remove_member{pod_a, owner, "mia", t0 + 3});
  auto lookup = client->request(runtime_->pods(), caf::infinite, get_member{pod_a, "mia", t0 + 3});
  auto pledge_for_mia = client->request(runtime_->pods(), caf::infinite,
                                        pledge_command("plg_00000000000000d1", "mia", 5));
  sched().run();
  ASSERT_EQ(backend_->hung.size(), 1u);
  advance(options_.entities.journal_timeout + std::chrono::seconds(1));
  std::optional<errc> removed, looked_up, pledged;
  const auto code_of = [](std::optional<errc>& code) {
    return [&code](caf::error& e) { code = actors::to_failure(e).code; };
  };
  removal.receive([&](member_view&) { removed = errc::ok; }, code_of(removed));
  lookup.receive([&](member_view&) { looked_up = errc::ok; }, code_of(looked_up));
  pledge_for_mia.receive([&](pledge_view&) { pledged = errc::ok; }, code_of(pledged));
  EXPECT_EQ(removed, errc::storage_unavailable);
  EXPECT_EQ(looked_up, errc::entity_unavailable);  // not "not_found"
  EXPECT_EQ(pledged, errc::entity_unavailable);
  auto mia = ask<member_view>(runtime_->pods(), get_member{pod_a, "mia", t0 + 4});
  ASSERT_TRUE(mia) << mia.error().detail;
  EXPECT_EQ(mia->role, "MEMBER");
}

// Goal: the last ADMIN can be neither demoted nor removed.
TEST_F(pod_membership_test, last_admin_stays) {
  auto demote = ask<member_view>(runtime_->pods(),
                                 change_member_role{pod_a, owner, owner.subject, "MEMBER", t0});
  EXPECT_EQ(demote.error().code, errc::illegal_transition);
  auto remove = ask<member_view>(runtime_->pods(), remove_member{pod_a, owner, owner.subject, t0});
  EXPECT_EQ(remove.error().code, errc::illegal_transition);
}

// Goal: the lifecycle follows the state machine; a forbidden move is 409 naming the state.
TEST_F(pod_membership_test, lifecycle_follows_the_state_machine) {
  auto early = transition(pod_transition::risk_flagged);
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error().code, errc::illegal_transition);
  EXPECT_NE(early.error().detail.find("DRAFT"), std::string::npos);
  EXPECT_EQ(transition(pod_transition::policy_accepted)->status, "ACTIVE");
  EXPECT_EQ(transition(pod_transition::risk_flagged)->status, "SUSPENDED");
  EXPECT_EQ(transition(pod_transition::manual_override)->status, "ACTIVE");
  EXPECT_EQ(transition(pod_transition::risk_flagged)->status, "SUSPENDED");
  EXPECT_EQ(transition(pod_transition::force_closure)->status, "CLOSED");
  EXPECT_EQ(transition(pod_transition::manual_override).error().code, errc::illegal_transition);
  EXPECT_EQ(add("late", "MEMBER").error().code, errc::pod_not_active);
}

// Goal: pledges need an ACTIVE pod and a pledging role; an OBSERVER never moves money.
TEST_F(pod_membership_test, pledges_check_status_role_and_amount) {
  EXPECT_EQ(pledge("plg_0000000000000001", owner.subject, 100).error().code, errc::pod_not_active);
  populate();
  EXPECT_EQ(pledge("plg_0000000000000001", "otto", 100).error().code, errc::role_forbidden);
  EXPECT_EQ(pledge("plg_0000000000000001", "ghost", 100).error().code, errc::not_found);
  EXPECT_EQ(pledge("plg_0000000000000001", "mia", 0).error().param, "amount_minor");
  EXPECT_EQ(pledge("plg_0000000000000001", "mia", 100, "EUX").error().code, errc::unknown_currency);
  // XXX is ISO's "no currency": refused up front, not by the ledger (which would fail the write).
  auto none = pledge("plg_0000000000000001", "mia", 100, "XXX");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, errc::unknown_currency);
  EXPECT_EQ(none.error().param, "currency");
  auto p = pledge("plg_0000000000000001", "mia", 2500);
  ASSERT_TRUE(p) << p.error().detail;
  EXPECT_EQ(p->status, "PLEDGED");
  EXPECT_EQ(p->cycle, 1);
  EXPECT_EQ(p->due_at_ms, t0 + 7 * day_ms);  // the end of its weekly cycle
}

// Goal: a member pledges in their own name; only an ADMIN or TREASURER (or the platform) records
// a pledge in another member's name, whose reputation it would cost if it expired.
TEST_F(pod_membership_test, pledges_in_another_members_name_need_admin_or_treasurer) {
  populate();
  auto as = [](const caller& by, const std::string& id, const std::string& user) {
    auto cmd = pledge_command(id, user, 100);
    cmd.by = by;
    return cmd;
  };
  const caller mia{"mia", false}, tess{"tess", false}, otto{"otto", false}, nobody{"nobody", false};
  auto for_tess = ask<pledge_view>(runtime_->pods(), as(mia, "plg_00000000000000a1", "tess"));
  ASSERT_FALSE(for_tess);
  EXPECT_EQ(for_tess.error().code, errc::role_forbidden);
  EXPECT_EQ(
      ask<pledge_view>(runtime_->pods(), as(otto, "plg_00000000000000a1", "mia")).error().code,
      errc::role_forbidden);
  EXPECT_EQ(
      ask<pledge_view>(runtime_->pods(), as(nobody, "plg_00000000000000a1", "mia")).error().code,
      errc::role_forbidden);
  EXPECT_TRUE(ask<pledge_view>(runtime_->pods(), as(mia, "plg_00000000000000a1", "mia")));
  EXPECT_TRUE(ask<pledge_view>(runtime_->pods(), as(tess, "plg_00000000000000a2", "mia")));
  EXPECT_TRUE(ask<pledge_view>(runtime_->pods(), as(owner, "plg_00000000000000a3", "tess")));
  EXPECT_TRUE(
      ask<pledge_view>(runtime_->pods(), as(operator_admin, "plg_00000000000000a4", "mia")));
  // An OBSERVER still may not pledge, whoever records it.
  EXPECT_EQ(
      ask<pledge_view>(runtime_->pods(), as(owner, "plg_00000000000000a5", "otto")).error().code,
      errc::role_forbidden);
}

// Goal: a pod's currency must be one money can be held in (not XXX).
TEST_F(pod_membership_test, a_pod_in_no_currency_is_refused) {
  create_pod cmd{"pod_00000000000000b2",       "Nothing",     "XXX",
                 {"5000", "0.66", "STANDARD"}, owner.subject, t0};
  auto refused = ask<pod_view>(runtime_->pods(), cmd);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::unknown_currency);
  EXPECT_EQ(refused.error().param, "currency");
}

// Goal: settling moves a pledge from pending to posted; only TREASURER or ADMIN settles.
TEST_F(pod_membership_test, settle_moves_pending_to_posted) {
  populate();
  ASSERT_TRUE(pledge("plg_0000000000000001", "mia", 2500));
  ASSERT_TRUE(pledge("plg_0000000000000002", "tess", 700, "USD"));
  auto b = balance();
  ASSERT_EQ(b.balances.size(), 2u);
  EXPECT_EQ(b.balances[0].currency, "EUR");
  EXPECT_EQ(b.balances[0].pending_minor, 2500);
  EXPECT_EQ(b.balances[0].posted_minor, 0);
  EXPECT_EQ(settle("plg_0000000000000001", caller{"mia", false}).error().code,
            errc::role_forbidden);
  auto s = settle("plg_0000000000000001", caller{"tess", false});
  ASSERT_TRUE(s) << s.error().detail;
  EXPECT_EQ(s->status, "SETTLED");
  EXPECT_EQ(settle("plg_0000000000000001").error().code, errc::illegal_transition);
  b = balance();
  EXPECT_EQ(b.balances[0].posted_minor, 2500);
  EXPECT_EQ(b.balances[0].pending_minor, 0);
  EXPECT_EQ(b.balances[1].pending_minor, 700);
  auto mia = ask<member_view>(runtime_->pods(), get_member{pod_a, "mia", t0 + 5});
  EXPECT_EQ(mia->pledges_settled_on_time, 1);
  EXPECT_EQ(mia->reputation_score, 55);
}

// Goal: a pledge past due reads EXPIRED, cannot be settled, counts as missed, leaves pending.
TEST_F(pod_membership_test, overdue_pledge_expires) {
  populate();
  ASSERT_TRUE(pledge("plg_0000000000000001", "mia", 2500));
  const auto later = t0 + 8 * day_ms;
  EXPECT_EQ(balance(later).balances[0].pending_minor, 0);
  EXPECT_EQ(settle("plg_0000000000000001", owner, later).error().code, errc::illegal_transition);
  auto p = ask<pledge_view>(runtime_->pods(), get_pledge{pod_a, "plg_0000000000000001", later});
  EXPECT_EQ(p->status, "EXPIRED");
  auto mia = ask<member_view>(runtime_->pods(), get_member{pod_a, "mia", later});
  EXPECT_EQ(mia->pledges_missed, 1);
  EXPECT_EQ(mia->reputation_score, 35);
}

// Goal: a pledge that falls due while its pod is SUSPENDED (nobody can settle it) expires
// without counting as missed, before and after the reinstatement journals its expiry, and after
// a replay; one that fell due before the suspension still counts.
TEST_F(pod_membership_test, pledges_due_during_a_suspension_are_not_missed) {
  populate();
  ASSERT_TRUE(pledge("plg_0000000000000001", "mia", 2500));  // due at the end of week 1
  auto second_week = pledge_command("plg_0000000000000002", "tess", 100);
  second_week.due_at_ms = t0 + 14 * day_ms;
  ASSERT_TRUE(ask<pledge_view>(runtime_->pods(), second_week));
  ASSERT_TRUE(transition(pod_transition::risk_flagged, owner, t0 + 5));
  const auto later = t0 + 8 * day_ms;
  auto missed = [&](const std::string& user, std::int64_t at) {
    return ask<member_view>(runtime_->pods(), get_member{pod_a, user, at})->pledges_missed;
  };
  EXPECT_EQ(missed("mia", later), 0);
  ASSERT_TRUE(transition(pod_transition::manual_override, owner, later));
  auto p = ask<pledge_view>(runtime_->pods(), get_pledge{pod_a, "plg_0000000000000001", later});
  EXPECT_EQ(p->status, "EXPIRED");
  EXPECT_EQ(missed("mia", later), 0);
  // Week 2's pledge falls due while the pod is ACTIVE again: missed.
  const auto after = t0 + 15 * day_ms;
  EXPECT_EQ(missed("tess", after), 1);
  ASSERT_TRUE(transition(pod_transition::risk_flagged, owner, after));
  EXPECT_EQ(missed("tess", after), 1);
  start();  // a replay of the journal gives the same counts
  EXPECT_EQ(missed("mia", after), 0);
  EXPECT_EQ(missed("tess", after), 1);
}

// Goal: a pledge list filtered by status pages through the matching pledges only: a full page
// has a cursor only when another pledge matches, so no page comes back empty.
TEST_F(pod_membership_test, a_filtered_pledge_list_ends_with_its_last_match) {
  populate();
  for (const char* id : {"plg_0000000000000001", "plg_0000000000000002", "plg_0000000000000003"})
    ASSERT_TRUE(pledge(id, "mia", 100));
  ASSERT_TRUE(settle("plg_0000000000000001"));
  auto settled = ask<pledge_page>(runtime_->pods(), list_pledges{pod_a, "SETTLED", 0, 1, t0 + 5});
  ASSERT_TRUE(settled) << settled.error().detail;
  ASSERT_EQ(settled->items.size(), 1u);
  EXPECT_EQ(settled->next_after, 0);  // the last page: nothing else is SETTLED
  auto open = ask<pledge_page>(runtime_->pods(), list_pledges{pod_a, "PLEDGED", 0, 1, t0 + 5});
  ASSERT_TRUE(open) << open.error().detail;
  ASSERT_EQ(open->items.size(), 1u);
  EXPECT_EQ(open->items[0].pledge_id, "plg_0000000000000002");
  ASSERT_NE(open->next_after, 0);
  auto rest = ask<pledge_page>(runtime_->pods(),
                               list_pledges{pod_a, "PLEDGED", open->next_after, 1, t0 + 5});
  ASSERT_TRUE(rest) << rest.error().detail;
  ASSERT_EQ(rest->items.size(), 1u);
  EXPECT_EQ(rest->items[0].pledge_id, "plg_0000000000000003");
  EXPECT_EQ(rest->next_after, 0);
}

// Goal: closing a pod cancels its open pledges (their holds are voided); a pod whose wallet
// holds money is not closed (that money could never leave a CLOSED pod), a force-close keeps it.
TEST_F(pod_membership_test, close_cancels_open_pledges) {
  populate();
  ASSERT_TRUE(pledge("plg_0000000000000001", "mia", 2500));
  ASSERT_TRUE(pledge("plg_0000000000000002", "mia", 100, "GBP"));
  ASSERT_TRUE(settle("plg_0000000000000002"));
  auto refused = transition(pod_transition::voluntary_closure, owner, t0 + 6);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::illegal_transition);
  EXPECT_NE(refused.error().detail.find("100 minor units of GBP"), std::string::npos)
      << refused.error().detail;
  EXPECT_EQ(
      ask<pledge_view>(runtime_->pods(), get_pledge{pod_a, "plg_0000000000000001", t0 + 6})->status,
      "PLEDGED");  // nothing of the refused close was kept
  ASSERT_TRUE(transition(pod_transition::risk_flagged, owner, t0 + 6));
  ASSERT_EQ(transition(pod_transition::force_closure, owner, t0 + 6)->status, "CLOSED");
  auto p = ask<pledge_view>(runtime_->pods(), get_pledge{pod_a, "plg_0000000000000001", t0 + 7});
  EXPECT_EQ(p->status, "CANCELLED");
  auto b = balance(t0 + 7);
  ASSERT_EQ(b.balances.size(), 2u);
  EXPECT_EQ(b.balances[0].pending_minor, 0);   // EUR
  EXPECT_EQ(b.balances[1].posted_minor, 100);  // GBP, frozen
}

// Goal: an empty wallet closes: open pledges are cancelled.
TEST_F(pod_membership_test, an_empty_pod_closes) {
  populate();
  ASSERT_TRUE(pledge("plg_0000000000000001", "mia", 2500));
  ASSERT_EQ(transition(pod_transition::voluntary_closure, owner, t0 + 6)->status, "CLOSED");
  auto p = ask<pledge_view>(runtime_->pods(), get_pledge{pod_a, "plg_0000000000000001", t0 + 7});
  EXPECT_EQ(p->status, "CANCELLED");
  EXPECT_EQ(balance(t0 + 7).balances[0].pending_minor, 0);
}

// Goal: a keyed pledge whose requester lends a renderer stores the rendered answer with its events
// and says so on the receipt; one refused stores nothing.
TEST_F(pod_membership_test, pledge_stores_its_rendered_answer_with_its_events) {
  populate();
  auto cmd = pledge_command("plg_00000000000000ab", "mia", 300);
  cmd.idempotency = {"key-9", "fp-9", "client-1", std::make_shared<actors::answer_receipt>()};
  cmd.render_answer = [](const pledge_view& p) {
    return actors::stored_answer{201, "application/json", "/p/" + p.pledge_id,
                                 std::to_string(p.amount_minor) + " " + p.currency};
  };
  ASSERT_TRUE(ask<pledge_view>(runtime_->pods(), cmd));
  ASSERT_TRUE(cmd.idempotency.receipt->stored);
  EXPECT_EQ(cmd.idempotency.receipt->answer.body, "300 EUR");
  auto stored = ask<actors::idempotency_lookup>(runtime_->journal_writer(),
                                                actors::get_idempotency{"client-1", "key-9"});
  ASSERT_TRUE(stored && stored->found);
  EXPECT_EQ(stored->record.status, 201);
  EXPECT_EQ(stored->record.location, "/p/plg_00000000000000ab");
  EXPECT_EQ(stored->record.body, "300 EUR");

  auto refused = cmd;
  refused.pledge_id = "plg_00000000000000ac";
  refused.amount_minor = -5;
  refused.idempotency.key = "key-10";
  refused.idempotency.receipt = std::make_shared<actors::answer_receipt>();
  ASSERT_FALSE(ask<pledge_view>(runtime_->pods(), refused));
  EXPECT_FALSE(refused.idempotency.receipt->stored);
  auto none = ask<actors::idempotency_lookup>(runtime_->journal_writer(),
                                              actors::get_idempotency{"client-1", "key-10"});
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->found);
}

// Goal: a retried pledge with the same key answers the first pledge; another body is refused.
TEST_F(pod_membership_test, pledge_retry_finds_the_first_pledge) {
  populate();
  auto cmd = pledge_command("plg_00000000000000aa", "mia", 300);
  cmd.idempotency = {"key-1", "fp-1"};
  ASSERT_TRUE(ask<pledge_view>(runtime_->pods(), cmd));
  auto again = ask<pledge_view>(runtime_->pods(), cmd);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->amount_minor, 300);
  EXPECT_EQ(balance().balances[0].pending_minor, 300);  // one pledge, not two
  cmd.idempotency.fingerprint = "fp-2";
  EXPECT_EQ(ask<pledge_view>(runtime_->pods(), cmd).error().code, errc::idempotency_key_reused);
}

// Goal: a cycle sums pledged and settled per member and currency.
TEST_F(pod_membership_test, cycle_sums_per_member) {
  populate();
  ASSERT_TRUE(pledge("plg_0000000000000001", "mia", 200));
  ASSERT_TRUE(pledge("plg_0000000000000002", "mia", 300));
  ASSERT_TRUE(settle("plg_0000000000000001"));
  // In cycle 2; mia's unsettled pledge of cycle 1 expires on the way, and still counts pledged.
  ASSERT_TRUE(pledge("plg_0000000000000003", "tess", 50, "EUR", t0 + 7 * day_ms + 1));
  auto c1 = ask<cycle_view>(runtime_->pods(), get_cycle{pod_a, 1, t0 + 8 * day_ms});
  ASSERT_TRUE(c1);
  ASSERT_EQ(c1->members.size(), 1u);
  EXPECT_EQ(c1->members[0].pledged_minor, 500);
  EXPECT_EQ(c1->members[0].settled_minor, 200);
  auto c2 = ask<cycle_view>(runtime_->pods(), get_cycle{pod_a, 2, t0 + 8 * day_ms});
  ASSERT_EQ(c2->members.size(), 1u);
  EXPECT_EQ(c2->members[0].user_id, "tess");
  EXPECT_EQ(ask<cycle_view>(runtime_->pods(), get_cycle{pod_a, 0, t0}).error().code,
            errc::invalid_cycle);
  // Weekly from 2026: cycles past about 417,000 would end after the year 9999.
  auto past = ask<cycle_view>(runtime_->pods(), get_cycle{pod_a, 500'000, t0});
  ASSERT_FALSE(past);
  EXPECT_EQ(past.error().code, errc::invalid_cycle);
  EXPECT_EQ(past.error().param, "n");  // the route's name for it
  EXPECT_TRUE(ask<cycle_view>(runtime_->pods(), get_cycle{pod_a, 400'000, t0}));
}

// Goal: removing a member cancels their open pledges (the holds are voided, nothing stays
// pending in their name), keeps the ones settled, and leaves other members' pledges alone.
TEST_F(pod_membership_test, removing_a_member_cancels_their_open_pledges) {
  populate();
  ASSERT_TRUE(pledge("plg_0000000000000001", "mia", 2500));
  ASSERT_TRUE(pledge("plg_0000000000000002", "mia", 100));
  ASSERT_TRUE(settle("plg_0000000000000002"));
  ASSERT_TRUE(pledge("plg_0000000000000003", "tess", 700));
  ASSERT_TRUE(ask<member_view>(runtime_->pods(), remove_member{pod_a, owner, "mia", t0 + 5}));
  auto status = [&](const std::string& id) {
    return ask<pledge_view>(runtime_->pods(), get_pledge{pod_a, id, t0 + 6})->status;
  };
  EXPECT_EQ(status("plg_0000000000000001"), "CANCELLED");
  EXPECT_EQ(status("plg_0000000000000002"), "SETTLED");
  EXPECT_EQ(status("plg_0000000000000003"), "PLEDGED");
  EXPECT_EQ(settle("plg_0000000000000001", owner, t0 + 6).error().code, errc::illegal_transition);
  auto b = balance(t0 + 6);
  EXPECT_EQ(b.balances[0].posted_minor, 100);
  EXPECT_EQ(b.balances[0].pending_minor, 700);
}

// Goal: a cycle's sums count expired pledges too, which the pod's balance no longer holds, so
// pledges that expired can add up past int64 within one cycle: the cycle is then refused
// amount_overflow instead of answering a wrapped sum.
TEST_F(pod_membership_test, cycle_sums_past_int64_are_refused) {
  populate();
  constexpr std::int64_t big = std::numeric_limits<std::int64_t>::max() - 10;
  auto first = pledge_command("plg_0000000000000001", "mia", big);
  first.due_at_ms = t0 + 10;
  ASSERT_TRUE(ask<pledge_view>(runtime_->pods(), first));
  // Past its due time, in the same cycle: the first expires, and the second fits the balance.
  ASSERT_TRUE(pledge("plg_0000000000000002", "tess", big, "EUR", t0 + 20));
  auto c1 = ask<cycle_view>(runtime_->pods(), get_cycle{pod_a, 1, t0 + 30});
  ASSERT_FALSE(c1);
  EXPECT_EQ(c1.error().code, errc::amount_overflow);
}

// Goal: everything above is rebuilt identically from the journal after a restart, with and
// without snapshots.
TEST_F(pod_membership_test, state_survives_restart_with_snapshots) {
  options_.entities.snapshot_every_events = 3;
  start();
  populate();
  ASSERT_TRUE(pledge("plg_0000000000000001", "mia", 2500));
  ASSERT_TRUE(pledge("plg_0000000000000002", "tess", 700, "USD"));
  ASSERT_TRUE(settle("plg_0000000000000001"));
  auto before_pod = *ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  auto before_members = *ask<member_page>(runtime_->pods(), list_members{pod_a, "", 50, t0 + 5});
  auto before_balance = balance();
  start();
  auto after_pod = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  ASSERT_TRUE(after_pod) << after_pod.error().detail;
  EXPECT_EQ(after_pod->version, before_pod.version);
  EXPECT_EQ(after_pod->member_count, 4);
  EXPECT_EQ(after_pod->status, "ACTIVE");
  auto after_members = *ask<member_page>(runtime_->pods(), list_members{pod_a, "", 50, t0 + 5});
  ASSERT_EQ(after_members.items.size(), before_members.items.size());
  for (std::size_t i = 0; i < after_members.items.size(); ++i) {
    EXPECT_EQ(after_members.items[i].user_id, before_members.items[i].user_id);
    EXPECT_EQ(after_members.items[i].role, before_members.items[i].role);
    EXPECT_EQ(after_members.items[i].reputation_score, before_members.items[i].reputation_score);
  }
  auto after_balance = balance();
  ASSERT_EQ(after_balance.balances.size(), before_balance.balances.size());
  for (std::size_t i = 0; i < after_balance.balances.size(); ++i) {
    EXPECT_EQ(after_balance.balances[i].posted_minor, before_balance.balances[i].posted_minor);
    EXPECT_EQ(after_balance.balances[i].pending_minor, before_balance.balances[i].pending_minor);
  }
}

// Goal: a snapshot taken while later pledges are still being written holds only committed
// state, so recovery applies every later event exactly once.
TEST_F(pod_membership_test, snapshots_under_concurrent_pledges_recover) {
  options_.entities.snapshot_every_events = 2;
  start();
  populate();
  {
    caf::scoped_actor self{sys()};
    std::vector<caf::response_handle<caf::blocking_actor, caf::message, true>> pending;
    for (int i = 0; i < 12; ++i) {
      make_pledge cmd;
      cmd.pod_id = pod_a;
      cmd.by = owner;
      cmd.pledge_id = pledge_id::from_random(static_cast<std::uint64_t>(i + 1)).str();
      cmd.user_id = "mia";
      cmd.amount_minor = 100;
      cmd.currency = "EUR";
      cmd.requested_at_ms = t0 + 3;
      self->send(runtime_->pods(), cmd);  // all sent before any is written
    }
    sched().run();
    int answered = 0;
    for (int i = 0; i < 12; ++i)
      self->receive([&](pledge_view&) { ++answered; }, [&](caf::error&) {});
    ASSERT_EQ(answered, 12);
  }
  start();
  auto b = ask<balance_view>(runtime_->pods(), get_balance{pod_a, t0 + 5});
  ASSERT_TRUE(b) << b.error().detail;
  ASSERT_FALSE(b->balances.empty());
  EXPECT_EQ(b->balances[0].pending_minor, 1200);
  auto page = ask<pledge_page>(runtime_->pods(), list_pledges{pod_a, "", 0, 50, t0 + 5});
  ASSERT_TRUE(page) << page.error().detail;
  EXPECT_EQ(page->items.size(), 12u);
}

// Goal: a pod with many records snapshots less often (every quarter of its record count), so
// encoding its whole state does not cost more than its commands; it still recovers exactly.
TEST_F(pod_membership_test, snapshots_thin_out_as_a_pod_grows) {
  options_.entities.snapshot_every_events = 2;
  start();
  populate();  // 4 members; the pod is at version 6
  const int before = backend_->snapshots;
  for (int i = 0; i < 80; ++i) {
    ASSERT_TRUE(pledge(pledge_id::from_random(static_cast<std::uint64_t>(i + 1)).str(), "mia", 10));
  }
  // Every 2 events would be 40 snapshots; with the record count (4 members and up to 80
  // pledges) the interval grows from 2 to 21 events: snapshots at versions 7, 9, 11, 13, 16,
  // 20, 25, 32, 41, 53 and 69.
  EXPECT_EQ(backend_->snapshots - before, 11);
  start();
  EXPECT_EQ(balance().balances[0].pending_minor, 800);
  auto page = ask<pledge_page>(runtime_->pods(), list_pledges{pod_a, "", 0, 100, t0 + 5});
  ASSERT_TRUE(page) << page.error().detail;
  EXPECT_EQ(page->items.size(), 80u);
}

// Goal: a snapshot that does not decode or does not fit its events is ignored and the pod is
// rebuilt from its whole stream (events are the truth; snapshots are a cache).
TEST_F(pod_membership_test, bad_snapshot_falls_back_to_the_events) {
  populate();
  ASSERT_TRUE(pledge("plg_0000000000000001", "mia", 2500));
  const auto version = ask<pod_view>(runtime_->pods(), get_pod{pod_a})->version;
  caf::anon_send(runtime_->journal_writer(),
                 persistence::snapshot_record{pod_a, version - 1, R"({"not":"a pod"})"});
  sched().run();
  start();
  auto b = ask<balance_view>(runtime_->pods(), get_balance{pod_a, t0 + 5});
  ASSERT_TRUE(b) << b.error().detail;
  EXPECT_EQ(b->balances[0].pending_minor, 2500);
  auto pod = ask<pod_view>(runtime_->pods(), get_pod{pod_a});
  EXPECT_EQ(pod->version, version);
  EXPECT_EQ(pod->member_count, 4);
}

// Goal: member pages follow user ids with a cursor, without gaps or repeats.
TEST_F(pod_membership_test, member_pages_walk_every_member_once) {
  populate();
  std::vector<std::string> seen;
  std::string after;
  do {
    auto page = *ask<member_page>(runtime_->pods(), list_members{pod_a, after, 2, t0});
    for (auto& m : page.items) seen.push_back(m.user_id);
    after = page.next_after;
  } while (!after.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"mia", "otto", "owner_1", "tess"}));
}

// Goal: every journaled event has its message in the outbox, in stream order, written with it, and
// renders as its CloudEvent; a refused command writes none, and the request's idempotency key
// never leaves.
TEST_F(pod_membership_test, every_event_has_its_cloud_event_in_the_outbox) {
  populate();
  make_pledge cmd;
  cmd.pod_id = pod_a;
  cmd.by = owner;
  cmd.pledge_id = "plg_0000000000000001";
  cmd.user_id = "mia";
  cmd.amount_minor = 2500;
  cmd.currency = "EUR";
  cmd.idempotency = {"key-1", "fingerprint-1"};
  cmd.requested_at_ms = t0 + 3;
  ASSERT_TRUE(ask<pledge_view>(runtime_->pods(), cmd));
  ASSERT_TRUE(settle("plg_0000000000000001"));
  auto observer = caller{"otto", false};
  ASSERT_FALSE(pledge("plg_0000000000000002", "otto", 100));  // an OBSERVER moves no money
  ASSERT_FALSE(settle("plg_0000000000000404", observer));

  const auto text = [](const boost::json::value& v) {
    return v.is_string() ? std::string(v.get_string()) : std::string("(not a string)");
  };
  std::string error;
  auto store = persistence::open_sqlite_journal({.file = dir_.file("journal.sqlite")}, &error);
  ASSERT_NE(store, nullptr) << error;
  auto rows = store->read_outbox(0, 100, true);
  ASSERT_TRUE(rows) << rows.error().detail;
  const std::vector<std::string> types{"CrowdPodCreated", "MemberJoined", "PolicyAccepted",
                                       "MemberJoined",    "MemberJoined", "MemberJoined",
                                       "FundsPledged",    "PledgeSettled"};
  ASSERT_EQ(rows->size(), types.size());
  for (std::size_t i = 0; i < types.size(); ++i) {
    const auto& row = (*rows)[i];
    SCOPED_TRACE(row.payload);
    const auto version = std::to_string(i + 1);
    EXPECT_EQ(row.message_id(), std::string(pod_a) + ":" + version);
    EXPECT_EQ(row.subject, "crowdpay.crowdpod.v1." + types[i]);
    EXPECT_EQ(row.event_type, types[i]);
    EXPECT_EQ(row.stream_id, pod_a);
    EXPECT_FALSE(row.published_at_ms.has_value());
    const auto rendered = actors::pod_cloud_event(row);
    ASSERT_TRUE(rendered) << rendered.error().detail;
    auto ce = boost::json::parse(*rendered).as_object();
    EXPECT_EQ(text(ce.at("specversion")), "1.0");
    EXPECT_EQ(text(ce.at("id")), row.message_id());
    EXPECT_EQ(text(ce.at("type")), row.subject);
    EXPECT_EQ(text(ce.at("source")), std::string("/pods/") + pod_a);
    EXPECT_EQ(text(ce.at("sequence")), version);
    EXPECT_EQ(text(ce.at("data").as_object().at("pod_id")), pod_a);
    EXPECT_FALSE(ce.at("data").as_object().contains("idempotency_key"));
    EXPECT_FALSE(ce.at("data").as_object().contains("request_fingerprint"));
  }
  auto pledged = boost::json::parse(*actors::pod_cloud_event((*rows)[6])).as_object();
  EXPECT_EQ(text(pledged.at("time")), "2026-01-01T00:00:00.003Z");
  EXPECT_EQ(pledged.at("data").as_object().at("amount_minor"), 2500);
  EXPECT_EQ(text(pledged.at("subject")), pod_a);
  EXPECT_EQ(text(pledged.at("datacontenttype")), "application/json");

  // Byte for byte what builds before migration 6 stored in the outbox, so consumers see no change.
  EXPECT_EQ(
      *actors::pod_cloud_event((*rows)[0]),
      R"({"specversion":"1.0","id":"pod_00000000000000b1:1","source":"/pods/pod_00000000000000b1",)"
      R"("type":"crowdpay.crowdpod.v1.CrowdPodCreated","subject":"pod_00000000000000b1",)"
      R"("time":"2026-01-01T00:00:00Z","sequence":"1","datacontenttype":"application/json",)"
      R"("data":{"owner_id":"owner_1","name":"Trip","currency":"EUR","policy":{"spending_limit":)"
      R"("5000","voting_quorum":"0.66","risk_tier":"STANDARD"},"created_at":1767225600000,)"
      R"("cycle":{"period":"WEEKLY","starts_at":1767225600000},"pod_id":"pod_00000000000000b1"}})");
  EXPECT_EQ(
      *actors::pod_cloud_event((*rows)[6]),
      R"({"specversion":"1.0","id":"pod_00000000000000b1:7","source":"/pods/pod_00000000000000b1",)"
      R"("type":"crowdpay.crowdpod.v1.FundsPledged","subject":"pod_00000000000000b1",)"
      R"("time":"2026-01-01T00:00:00.003Z","sequence":"7","datacontenttype":"application/json",)"
      R"("data":{"pledge_id":"plg_0000000000000001","user_id":"mia","amount_minor":2500,)"
      R"("currency":"EUR","cycle":1,"due_at":1767830400000,"pledged_at":1767225600003,)"
      R"("pod_id":"pod_00000000000000b1"}})");
  // A create's payload keeps its request's key and fingerprint; the message leaves both out (the
  // old encoding erased them the same way, so the remaining keys keep the same order).
  persistence::outbox_entry keyed = (*rows)[0];
  keyed.payload =
      R"({"owner_id":"o","idempotency_key":"k","request_fingerprint":"f","name":"n","pod_id":"p"})";
  const auto keyed_event = boost::json::parse(*actors::pod_cloud_event(keyed)).as_object();
  EXPECT_EQ(boost::json::serialize(keyed_event.at("data")),
            R"({"owner_id":"o","pod_id":"p","name":"n"})");

  // A payload that is not a JSON object is reported, not published half-rendered.
  persistence::outbox_entry broken = (*rows)[6];
  broken.payload = "[1]";
  const auto refused = actors::pod_cloud_event(broken);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::internal_error);
}

}  // namespace
}  // namespace payorch::testing
