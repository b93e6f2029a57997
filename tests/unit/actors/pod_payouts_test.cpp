// A pod's payouts under the deterministic scheduler: the checks before a payout starts, the
// hold, posting with and without FX, release and reversal, their ledger transactions, and
// recovery of all of it from the journal (with snapshots too).
#include <limits>

#include "tests/support/actor_fixture.hpp"

namespace payorch::testing {
namespace {

using namespace actors;

constexpr const char* pod_a = "pod_00000000000000c1";
constexpr const char* payout_1 = "pout_0000000000000001";
constexpr const char* payout_2 = "pout_0000000000000002";
constexpr std::int64_t t0 = 1767225600000;  // 2026-01-01T00:00:00Z

const caller owner{"owner_1", false};
const caller saga{"saga", true};

class pod_payouts_test : public actor_fixture {
 protected:
  void SetUp() override { make_pod(); }

  /// An ACTIVE EUR pod (limit 100.00 EUR, quorum 0.66) with a TREASURER, two MEMBERs and an
  /// OBSERVER, holding 1000.00 EUR from a settled pledge.
  void make_pod(std::string tier = "STANDARD") {
    ASSERT_TRUE(ask<pod_view>(runtime_->pods(), create_pod{pod_a, "Trip", "EUR",
                                                           {"100", "0.66", tier}, owner.subject,
                                                           t0}));
    ASSERT_TRUE(ask<pod_view>(runtime_->pods(),
                              change_pod_status{pod_a, owner, pod_transition::policy_accepted, "",
                                                t0 + 1}));
    for (auto [user, role] : {std::pair{"tess", "TREASURER"}, {"mia", "MEMBER"},
                              {"max", "MEMBER"}, {"otto", "OBSERVER"}})
      ASSERT_TRUE(ask<member_view>(runtime_->pods(), add_member{pod_a, owner, user, role, t0 + 2}));
    settled_pledge("plg_00000000000000c1", 100'000, "EUR", t0 + 3);
  }

  /// mia's pledge of `amount` in `currency` at `at`, settled right after.
  void settled_pledge(const std::string& id, std::int64_t amount, const std::string& currency,
                      std::int64_t at) {
    make_pledge p;
    p.pod_id = pod_a;
    p.by = owner;
    p.pledge_id = id;
    p.user_id = "mia";
    p.amount_minor = amount;
    p.currency = currency;
    p.requested_at_ms = at;
    ASSERT_TRUE(ask<pledge_view>(runtime_->pods(), p));
    ASSERT_TRUE(ask<pledge_view>(runtime_->pods(), settle_pledge{pod_a, owner, id, at + 1}));
  }

  /// `action` on payout `id` of pod_a by `by` at `at`; the rest as the caller sets it.
  static payout_command payout(payout_action action, const std::string& id, caller by,
                               std::int64_t at) {
    payout_command c;
    c.pod_id = pod_a;
    c.by = std::move(by);
    c.payout_id = id;
    c.action = action;
    c.requested_at_ms = at;
    return c;
  }

  result<payout_view> command(payout_action action, const std::string& id, caller by,
                              std::int64_t amount = 0, std::string currency = "EUR",
                              std::int64_t hold = 0) {
    auto c = payout(action, id, std::move(by), t0 + 10);
    c.amount_minor = amount;
    c.currency = std::move(currency);
    c.hold_minor = hold;
    c.beneficiary_name = "Anna Schmidt";
    c.reason = "test";
    return ask<payout_view>(runtime_->pods(), c);
  }

  result<payout_view> post(const std::string& id, std::int64_t sell, std::int64_t buy = 0,
                           std::string quote = {}, std::string rate = {}) {
    auto c = payout(payout_action::post, id, saga, t0 + 11);
    c.sell_minor = sell;
    c.buy_minor = buy;
    c.quote_id = std::move(quote);
    c.rate = std::move(rate);
    return ask<payout_view>(runtime_->pods(), c);
  }

  const currency_balance* eur(const balance_view& b, const std::string& code = "EUR") {
    for (const auto& c : b.balances)
      if (c.currency == code) return &c;
    return nullptr;
  }

  balance_view balance() { return *ask<balance_view>(runtime_->pods(), get_balance{pod_a, t0 + 20}); }

  /// The ledger rows of the pod's journal, summed per currency over every account.
  std::map<std::string, std::int64_t> ledger_sums() {
    std::map<std::string, std::int64_t> sums;
    auto page = ask<ledger_page>(runtime_->journal_writer(), read_ledger{"", 0, 1000});
    if (!page) {
      ADD_FAILURE() << page.error().detail;
      return sums;
    }
    for (const auto& row : page->entries) sums[row.currency] += row.amount_minor;
    return sums;
  }
};

// Goal: the check refuses what may not be paid out, and tells the governance facts.
TEST_F(pod_payouts_test, check_refuses_bad_payouts_and_names_governance) {
  auto by_member = command(payout_action::check, payout_1, caller{"mia", false}, 5'000);
  ASSERT_FALSE(by_member);
  EXPECT_EQ(by_member.error().code, errc::role_forbidden);
  auto too_much = command(payout_action::check, payout_1, owner, 100'001);
  ASSERT_FALSE(too_much);
  EXPECT_EQ(too_much.error().code, errc::insufficient_funds);
  EXPECT_EQ(command(payout_action::check, "pay_1", owner, 5).error().code, errc::invalid_id);
  EXPECT_EQ(command(payout_action::check, payout_1, owner, 0).error().code, errc::invalid_amount);
  EXPECT_EQ(
      command(payout_action::check, payout_1, owner, 1'000'000'000'000'000'000, "JPY").error().code,
      errc::invalid_amount);  // 19 digits: more than a bank transfer carries
  EXPECT_EQ(command(payout_action::check, payout_1, owner, 5, "XXX").error().code,
            errc::unknown_currency);
  auto ok = command(payout_action::check, payout_1, caller{"tess", false}, 20'000);
  ASSERT_TRUE(ok) << ok.error().detail;
  EXPECT_TRUE(ok->above_spending_limit);  // 200.00 > 100.00
  EXPECT_EQ(ok->voters, 4);               // owner, tess, mia, max; not otto
  EXPECT_EQ(ok->approvals_needed, 3);     // ceil(0.66 * 4)
  EXPECT_EQ(ok->risk_tier, "STANDARD");
  // A check writes nothing.
  EXPECT_EQ(command(payout_action::get, payout_1, owner).error().code, errc::not_found);
}

// Goal: a hold reserves money; posting in the pod's currency sends exactly the amount out, the
// ledger balances per currency, and every step repeats safely.
TEST_F(pod_payouts_test, reserve_then_post_in_the_pods_currency) {
  auto reserved = command(payout_action::reserve, payout_1, owner, 30'000, "EUR", 30'000);
  ASSERT_TRUE(reserved) << reserved.error().detail;
  EXPECT_EQ(reserved->status, "RESERVED");
  EXPECT_EQ(eur(balance())->reserved_minor, 30'000);
  EXPECT_EQ(balance().total_available_minor, 70'000);
  // A second payout cannot take more than what is left.
  EXPECT_EQ(command(payout_action::reserve, payout_2, owner, 80'000, "EUR", 80'000).error().code,
            errc::insufficient_funds);
  // The same reservation again is the same payout; other amounts under its id are not.
  EXPECT_TRUE(command(payout_action::reserve, payout_1, owner, 30'000, "EUR", 30'000));
  EXPECT_EQ(command(payout_action::reserve, payout_1, owner, 31'000, "EUR", 31'000).error().code,
            errc::already_exists);
  EXPECT_EQ(post(payout_1, 29'000).error().code, errc::invalid_amount);
  auto posted = post(payout_1, 30'000);
  ASSERT_TRUE(posted) << posted.error().detail;
  EXPECT_EQ(posted->status, "POSTED");
  EXPECT_TRUE(post(payout_1, 30'000));  // repeated: no second posting
  auto b = balance();
  EXPECT_EQ(eur(b)->posted_minor, 70'000);
  EXPECT_EQ(eur(b)->reserved_minor, 0);
  for (const auto& [code, sum] : ledger_sums()) EXPECT_EQ(sum, 0) << code;
  // Released after posting: nothing is held any more, nothing changes.
  EXPECT_EQ(command(payout_action::release, payout_1, saga)->status, "POSTED");
}

// Goal: with FX, the hold covers the estimate plus margin, the sale spends less, the rest
// returns, the rounding stays in the FX account, and a return credits the payout's currency.
TEST_F(pod_payouts_test, cross_currency_post_and_reverse) {
  ASSERT_TRUE(command(payout_action::reserve, payout_1, owner, 20'000, "GBP", 24'000));
  EXPECT_EQ(post(payout_1, 23'000, 20'003).error().code, errc::invalid_argument);  // no quote
  EXPECT_EQ(post(payout_1, 23'000, 19'999, "q1", "0.87").error().code, errc::invalid_amount);
  EXPECT_EQ(post(payout_1, 24'001, 20'003, "q1", "0.87").error().code, errc::invalid_amount);
  auto posted = post(payout_1, 23'000, 20'003, "q1", "0.87");
  ASSERT_TRUE(posted) << posted.error().detail;
  EXPECT_EQ(posted->fx_rounding_minor, 3);
  EXPECT_EQ(eur(balance())->posted_minor, 77'000);
  for (const auto& [code, sum] : ledger_sums()) EXPECT_EQ(sum, 0) << code;
  auto reversed = command(payout_action::reverse, payout_1, saga);
  ASSERT_TRUE(reversed) << reversed.error().detail;
  EXPECT_EQ(reversed->status, "REVERSED");
  auto b = balance();
  EXPECT_EQ(eur(b)->posted_minor, 77'000);
  ASSERT_NE(eur(b, "GBP"), nullptr);
  EXPECT_EQ(eur(b, "GBP")->posted_minor, 20'000);
  for (const auto& [code, sum] : ledger_sums()) EXPECT_EQ(sum, 0) << code;
  EXPECT_TRUE(command(payout_action::reverse, payout_1, saga));  // repeated: nothing more
  EXPECT_EQ(eur(balance(), "GBP")->posted_minor, 20'000);
}

// Goal: a payout in a currency the wallet holds enough of is paid from it: the check says so,
// the hold and the posting are in that currency with nothing sold, the estimate in the pod's
// currency counts against the spending limit; with too little of it the pod's currency is sold.
TEST_F(pod_payouts_test, a_payout_is_paid_from_its_own_currency_when_the_wallet_holds_it) {
  settled_pledge("plg_00000000000000c9", 5'000, "GBP", t0 + 5);

  auto own = command(payout_action::check, payout_1, owner, 4'000, "GBP");
  ASSERT_TRUE(own) << own.error().detail;
  EXPECT_EQ(own->hold_currency, "GBP");
  EXPECT_EQ(own->pod_currency, "EUR");
  auto sold = command(payout_action::check, payout_1, owner, 5'001, "GBP");
  ASSERT_TRUE(sold) << sold.error().detail;
  EXPECT_EQ(sold->hold_currency, "EUR");

  // The reservation names what the check chose; hold_minor is the estimate in EUR (the limit's).
  auto reserve = payout(payout_action::reserve, payout_1, owner, t0 + 10);
  reserve.amount_minor = 4'000;
  reserve.currency = "GBP";
  reserve.hold_minor = 11'000;  // 110.00 EUR > the 100.00 EUR limit
  reserve.beneficiary_name = "Anna Schmidt";
  reserve.hold_currency = "USD";
  EXPECT_EQ(ask<payout_view>(runtime_->pods(), reserve).error().code, errc::invalid_argument);
  reserve.hold_currency = "GBP";
  auto reserved = ask<payout_view>(runtime_->pods(), reserve);
  ASSERT_TRUE(reserved) << reserved.error().detail;
  EXPECT_EQ(reserved->hold_minor, 4'000);
  EXPECT_EQ(reserved->hold_currency, "GBP");
  EXPECT_TRUE(reserved->above_spending_limit);
  EXPECT_EQ(eur(balance(), "GBP")->reserved_minor, 4'000);
  EXPECT_EQ(eur(balance())->reserved_minor, 0);
  // A second one, checked when the GBP was there, finds too little of it left at its own
  // reservation: it sells EUR instead (its hold is the estimate), and can be released.
  auto more = reserve;
  more.payout_id = payout_2;
  more.amount_minor = 1'001;
  auto sells = ask<payout_view>(runtime_->pods(), more);
  ASSERT_TRUE(sells) << sells.error().detail;
  EXPECT_EQ(sells->hold_currency, "EUR");
  EXPECT_EQ(sells->hold_minor, 11'000);
  EXPECT_EQ(command(payout_action::release, payout_2, saga)->status, "RELEASED");
  // Posted without a sale: exactly the amount, no quote.
  EXPECT_EQ(post(payout_1, 4'000, 4'000, "q1", "0.87").error().code, errc::invalid_amount);
  auto posted = post(payout_1, 4'000, 4'000);
  ASSERT_TRUE(posted) << posted.error().detail;
  EXPECT_EQ(posted->status, "POSTED");
  EXPECT_EQ(posted->fx_rounding_minor, 0);
  auto b = balance();
  EXPECT_EQ(eur(b, "GBP")->posted_minor, 1'000);
  EXPECT_EQ(eur(b, "GBP")->reserved_minor, 0);
  EXPECT_EQ(eur(b)->posted_minor, 100'000);  // no EUR sold
  for (const auto& [code, sum] : ledger_sums()) EXPECT_EQ(sum, 0) << code;
  // Returned, it comes back where it came from.
  ASSERT_TRUE(command(payout_action::reverse, payout_1, saga));
  EXPECT_EQ(eur(balance(), "GBP")->posted_minor, 5'000);
  for (const auto& [code, sum] : ledger_sums()) EXPECT_EQ(sum, 0) << code;
}

// Goal: a payout returned in another currency is posted money of that currency: a pledge that
// would take it past int64 is refused amount_overflow, and so is a return that would, counting
// the pledges still pending; a pledge up to the limit goes through.
TEST_F(pod_payouts_test, returns_and_pledges_keep_a_currency_within_range) {
  constexpr std::int64_t max = std::numeric_limits<std::int64_t>::max();
  auto pledge = [&](const std::string& id, std::int64_t amount) {
    make_pledge p;
    p.pod_id = pod_a;
    p.by = owner;
    p.pledge_id = id;
    p.user_id = "mia";
    p.amount_minor = amount;
    p.currency = "GBP";
    p.requested_at_ms = t0 + 12;
    return ask<pledge_view>(runtime_->pods(), p);
  };
  ASSERT_TRUE(command(payout_action::reserve, payout_1, owner, 20'000, "GBP", 24'000));
  ASSERT_TRUE(post(payout_1, 23'000, 20'003, "q1", "0.87"));
  ASSERT_TRUE(command(payout_action::reserve, payout_2, owner, 10'000, "GBP", 12'000));
  auto second = payout(payout_action::post, payout_2, saga, t0 + 11);
  second.sell_minor = 11'500;
  second.buy_minor = 10'001;
  second.quote_id = "q2";
  second.rate = "0.87";
  ASSERT_TRUE(ask<payout_view>(runtime_->pods(), second));
  ASSERT_TRUE(command(payout_action::reverse, payout_1, saga));  // 200.00 GBP came back

  auto too_much = pledge("plg_00000000000000c2", max - 20'000 + 1);
  ASSERT_FALSE(too_much);
  EXPECT_EQ(too_much.error().code, errc::amount_overflow);
  auto most = pledge("plg_00000000000000c3", max - 25'000);
  ASSERT_TRUE(most) << most.error().detail;
  // Returning the second payout's 100.00 GBP would pass the limit once that pledge settles.
  auto back = command(payout_action::reverse, payout_2, saga);
  ASSERT_FALSE(back);
  EXPECT_EQ(back.error().code, errc::amount_overflow);
  ASSERT_TRUE(ask<pledge_view>(runtime_->pods(),
                               settle_pledge{pod_a, owner, "plg_00000000000000c3", t0 + 13}));
  EXPECT_EQ(eur(balance(), "GBP")->posted_minor, max - 5'000);
  EXPECT_EQ(pledge("plg_00000000000000c4", 5'001).error().code, errc::amount_overflow);
  auto last = pledge("plg_00000000000000c5", 5'000);
  ASSERT_TRUE(last) << last.error().detail;
  ASSERT_TRUE(ask<pledge_view>(runtime_->pods(),
                               settle_pledge{pod_a, owner, "plg_00000000000000c5", t0 + 14}));
  EXPECT_EQ(eur(balance(), "GBP")->posted_minor, max);
}

// Goal: a retried reservation finds the hold its lost attempt made, even when it would now ask
// for another hold (a fresh rate) or the pod or the requester changed meanwhile.
TEST_F(pod_payouts_test, retried_reservation_finds_its_hold) {
  ASSERT_TRUE(command(payout_action::reserve, payout_1, caller{"tess", false}, 10'000, "GBP",
                      12'000));
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), change_pod_status{pod_a, owner,
                                                                pod_transition::risk_flagged, "",
                                                                t0 + 12}));
  ASSERT_TRUE(ask<member_view>(runtime_->pods(),
                               change_member_role{pod_a, owner, "tess", "MEMBER", t0 + 12}));
  auto again = command(payout_action::reserve, payout_1, caller{"tess", false}, 10'000, "GBP",
                       12'345);
  ASSERT_TRUE(again) << again.error().detail;
  EXPECT_EQ(again->hold_minor, 12'000);
  EXPECT_EQ(eur(balance())->reserved_minor, 12'000);
  EXPECT_EQ(command(payout_action::reserve, payout_1, owner, 10'001, "GBP", 12'000).error().code,
            errc::already_exists);
  // A new payout on the suspended pod is refused.
  EXPECT_EQ(command(payout_action::reserve, payout_2, owner, 1'000, "EUR", 1'000).error().code,
            errc::pod_not_active);
}

// Goal: a vote counts once in the member's reputation (votes_cast, +1 score), survives a
// restart, and only members who could vote when the payout was requested may.
TEST_F(pod_payouts_test, votes_count_in_reputation_once) {
  options_.entities.snapshot_every_events = 2;
  start();
  ASSERT_TRUE(command(payout_action::reserve, payout_1, owner, 30'000, "EUR", 30'000));
  auto vote = [&](const std::string& user) {
    auto c = payout(payout_action::vote, payout_1, saga, t0 + 15);
    c.voter = user;
    c.approve = true;
    return ask<payout_view>(runtime_->pods(), c);
  };
  ASSERT_TRUE(vote("mia"));
  ASSERT_TRUE(vote("mia"));  // a repeat records nothing
  EXPECT_EQ(vote("otto").error().code, errc::role_forbidden);   // an OBSERVER
  EXPECT_EQ(vote("nobody").error().code, errc::not_found);      // not a member
  ASSERT_TRUE(ask<member_view>(runtime_->pods(), add_member{pod_a, owner, "late", "MEMBER", t0 + 12}));
  EXPECT_EQ(vote("late").error().code, errc::role_forbidden);  // joined after the request
  // An OBSERVER when the hold was made was not counted, so a promotion since gives no vote; a
  // change between voting roles keeps one.
  ASSERT_TRUE(ask<member_view>(runtime_->pods(),
                               change_member_role{pod_a, owner, "otto", "MEMBER", t0 + 12}));
  EXPECT_EQ(vote("otto").error().code, errc::role_forbidden);
  ASSERT_TRUE(ask<member_view>(runtime_->pods(),
                               change_member_role{pod_a, owner, "max", "TREASURER", t0 + 12}));
  EXPECT_TRUE(vote("max"));
  auto unknown = payout(payout_action::vote, payout_2, saga, 0);
  unknown.voter = "mia";
  EXPECT_EQ(ask<payout_view>(runtime_->pods(), unknown).error().code, errc::not_found);
  start();
  auto mia = ask<member_view>(runtime_->pods(), get_member{pod_a, "mia", t0 + 20});
  ASSERT_TRUE(mia) << mia.error().detail;
  EXPECT_EQ(mia->votes_cast, 1);
  EXPECT_TRUE(vote("mia"));  // still once after the restart
  EXPECT_EQ(ask<member_view>(runtime_->pods(), get_member{pod_a, "mia", t0 + 20})->votes_cast, 1);
  EXPECT_EQ(vote("otto").error().code, errc::role_forbidden);  // the snapshot kept the rule
}

// Goal: money leaves only an ACTIVE pod: a pod suspended after the hold refuses the posting
// (pod_not_active), keeps the hold until it is released, and posts nothing.
TEST_F(pod_payouts_test, a_suspended_pod_refuses_to_post) {
  ASSERT_TRUE(command(payout_action::reserve, payout_1, owner, 30'000, "EUR", 30'000));
  ASSERT_TRUE(ask<pod_view>(
      runtime_->pods(),
      change_pod_status{pod_a, owner, pod_transition::risk_flagged, "review", t0 + 11}));
  auto refused = post(payout_1, 30'000);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, errc::pod_not_active);
  EXPECT_EQ(command(payout_action::get, payout_1, owner)->status, "RESERVED");
  EXPECT_EQ(eur(balance())->posted_minor, 100'000);
  EXPECT_EQ(command(payout_action::release, payout_1, saga)->status, "RELEASED");
  EXPECT_EQ(eur(balance())->reserved_minor, 0);
}

// Goal: a released hold gives the money back; a RESERVED payout keeps a voluntary closure
// away, a force-close releases it.
TEST_F(pod_payouts_test, release_and_closure) {
  ASSERT_TRUE(command(payout_action::reserve, payout_1, owner, 10'000, "EUR", 10'000));
  auto closing = ask<pod_view>(runtime_->pods(), change_pod_status{pod_a, owner,
                                                                   pod_transition::voluntary_closure,
                                                                   "", t0 + 12});
  ASSERT_FALSE(closing);
  EXPECT_EQ(closing.error().code, errc::illegal_transition);
  auto released = command(payout_action::release, payout_1, saga);
  ASSERT_TRUE(released);
  EXPECT_EQ(released->status, "RELEASED");
  EXPECT_EQ(eur(balance())->reserved_minor, 0);
  EXPECT_EQ(post(payout_1, 10'000).error().code, errc::illegal_transition);
  EXPECT_EQ(command(payout_action::reverse, payout_1, saga).error().code,
            errc::illegal_transition);
  ASSERT_TRUE(command(payout_action::reserve, payout_2, owner, 10'000, "EUR", 10'000));
  // Force-closing is for a SUSPENDED pod.
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), change_pod_status{pod_a, owner,
                                                                pod_transition::risk_flagged, "",
                                                                t0 + 12}));
  ASSERT_TRUE(ask<pod_view>(runtime_->pods(), change_pod_status{pod_a, owner,
                                                                pod_transition::force_closure, "",
                                                                t0 + 13}));
  EXPECT_EQ(command(payout_action::get, payout_2, owner)->status, "RELEASED");
  for (const auto& [code, sum] : ledger_sums()) EXPECT_EQ(sum, 0) << code;
}

// Goal: payouts are rebuilt from the journal, with and without snapshots.
TEST_F(pod_payouts_test, payouts_survive_restart_with_snapshots) {
  for (std::int64_t every : {1'000'000, 2}) {
    options_.entities.snapshot_every_events = every;
    start();
    const std::string a = every == 2 ? "pout_00000000000000a1" : payout_1;
    const std::string b = every == 2 ? "pout_00000000000000a2" : payout_2;
    ASSERT_TRUE(command(payout_action::reserve, a, owner, 10'000, "GBP", 12'000));
    ASSERT_TRUE(post(a, 11'500, 10'001, "q9", "0.87"));
    ASSERT_TRUE(command(payout_action::reserve, b, owner, 5'000, "EUR", 5'000));
    auto before = balance();
    auto before_a = *command(payout_action::get, a, owner);
    start();
    auto after_a = command(payout_action::get, a, owner);
    ASSERT_TRUE(after_a) << after_a.error().detail;
    EXPECT_EQ(after_a->status, "POSTED");
    EXPECT_EQ(after_a->sell_minor, before_a.sell_minor);
    EXPECT_EQ(after_a->quote_id, "q9");
    EXPECT_EQ(after_a->approvals_needed, before_a.approvals_needed);
    EXPECT_EQ(command(payout_action::get, b, owner)->status, "RESERVED");
    auto after = balance();
    EXPECT_EQ(eur(after)->posted_minor, eur(before)->posted_minor);
    EXPECT_EQ(eur(after)->reserved_minor, eur(before)->reserved_minor);
  }
}

}  // namespace
}  // namespace payorch::testing
