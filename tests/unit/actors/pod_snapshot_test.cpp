// Pod snapshots: what the state keeps of idempotency keys and fingerprints (digests), how that
// round-trips, and that snapshots written before digests still decode to the same state.
#include <gtest/gtest.h>

#include "actors/pod_record.hpp"
#include "adapters/fx_rates.hpp"

namespace payorch::testing {
namespace {

using namespace actors;

constexpr std::int64_t t0 = 1767225600000;  // 2026-01-01T00:00:00Z

/// A EUR pod created by "owner_1" at t0.
create_pod creation(std::string pod_id, std::string name) {
  create_pod cmd;
  cmd.pod_id = std::move(pod_id);
  cmd.name = std::move(name);
  cmd.currency = "EUR";
  cmd.policy = {"100", "0.66", "STANDARD"};
  cmd.owner_id = "owner_1";
  cmd.requested_at_ms = t0;
  return cmd;
}

/// An ACTIVE pod whose creating request and one pledge carried Idempotency-Keys.
pod_record sample_pod() {
  auto cmd = creation("pod_00000000000000d1", "Trip");
  cmd.idempotency = {"create-key-1", std::string(64, 'c'), "app_1"};
  std::optional<pod_record> pod;
  auto created = decide_create(cmd);
  EXPECT_TRUE(created);
  for (const auto& e : *created) EXPECT_TRUE(apply_event(pod, e));
  auto activated = decide(
      *pod, change_pod_status{
                cmd.pod_id, {"owner_1", false}, pod_transition::policy_accepted, "", t0 + 1});
  EXPECT_TRUE(activated);
  for (const auto& e : *activated) EXPECT_TRUE(apply_event(pod, e));
  make_pledge p;
  p.pod_id = cmd.pod_id;
  p.by = {"owner_1", false};
  p.pledge_id = "plg_00000000000000d1";
  p.user_id = "owner_1";
  p.amount_minor = 2'500;
  p.currency = "EUR";
  p.requested_at_ms = t0 + 2;
  p.idempotency = {"pledge-key-1", std::string(64, 'f'), "app_1"};
  auto pledged = decide(*pod, p);
  EXPECT_TRUE(pledged) << (pledged ? "" : pledged.error().detail);
  for (const auto& e : *pledged) EXPECT_TRUE(apply_event(pod, e));
  return *pod;
}

// Goal: the state holds 16-byte digests of the keys and fingerprints, distinct per text, zero
// for none, and they survive a snapshot round trip.
TEST(pod_snapshot, digests_round_trip) {
  const auto pod = sample_pod();
  EXPECT_EQ(pod.creation_key, digest_of("create-key-1"));
  EXPECT_EQ(pod.creation_fingerprint, digest_of(std::string(64, 'c')));
  EXPECT_NE(digest_of("create-key-1"), digest_of("create-key-2"));
  EXPECT_EQ(digest_of(""), request_digest{});
  ASSERT_EQ(pod.funds->pledges.size(), 1u);
  EXPECT_EQ(pod.funds->pledges[0].idempotency_key, digest_of("pledge-key-1"));

  const auto text = encode_snapshot(pod);
  EXPECT_EQ(text.find("create-key-1"), std::string::npos) << "keys are not kept as text";
  auto back = decode_snapshot(text);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->creation_key, pod.creation_key);
  EXPECT_EQ(back->creation_fingerprint, pod.creation_fingerprint);
  ASSERT_EQ(back->funds->pledges.size(), 1u);
  EXPECT_EQ(back->funds->pledges[0].idempotency_key, pod.funds->pledges[0].idempotency_key);
  EXPECT_EQ(back->funds->pledges[0].request_fingerprint, pod.funds->pledges[0].request_fingerprint);
  EXPECT_EQ(encode_snapshot(*back), text);
}

// Goal: text fields of pledges (written into snapshots without a JSON DOM) are escaped, so any
// text reads back as it was.
TEST(pod_snapshot, pledge_text_is_escaped) {
  auto pod = sample_pod();
  const std::string odd = "we\"ird\\ \n\t\x01 \xc3\xa9 </script>";
  pod.funds.write().pledges[0].user_id = odd;
  auto back = decode_snapshot(encode_snapshot(pod));
  ASSERT_TRUE(back) << back.error().detail;
  ASSERT_EQ(back->funds->pledges.size(), 1u);
  EXPECT_EQ(back->funds->pledges[0].user_id, odd);
  EXPECT_EQ(back->funds->pledges[0].amount_minor, pod.funds->pledges[0].amount_minor);
  EXPECT_EQ(back->funds->pledges[0].due_at_ms, pod.funds->pledges[0].due_at_ms);
}

/// `text` with the first `from` replaced by `to`.
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

// Goal: a snapshot written before digests (keys and fingerprints as text) decodes to the same
// state as the events; one without them (older still) reads as "no key".
TEST(pod_snapshot, snapshots_with_keys_as_text_still_decode) {
  const auto pod = sample_pod();
  const auto now = encode_snapshot(pod);
  auto hex = [&](std::string_view field) {
    auto at = now.find(std::string("\"") + std::string(field) + "\":\"");
    return now.substr(at + field.size() + 4, 32);
  };
  auto old = replaced(now, "\"creation_key_digest\":\"" + hex("creation_key_digest") + "\"",
                      "\"creation_key\":\"create-key-1\"");
  old = replaced(old,
                 "\"creation_fingerprint_digest\":\"" + hex("creation_fingerprint_digest") + "\"",
                 "\"creation_fingerprint\":\"" + std::string(64, 'c') + "\"");
  old = replaced(old, "\"idempotency_key_digest\":\"" + hex("idempotency_key_digest") + "\"",
                 "\"idempotency_key\":\"pledge-key-1\"");
  auto back = decode_snapshot(old);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->creation_key, pod.creation_key);
  EXPECT_EQ(back->creation_fingerprint, pod.creation_fingerprint);
  EXPECT_EQ(back->funds->pledges[0].idempotency_key, pod.funds->pledges[0].idempotency_key);

  auto oldest =
      replaced(now, "\"creation_key_digest\":\"" + hex("creation_key_digest") + "\",", "");
  back = decode_snapshot(oldest);
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->creation_key, request_digest{});

  // Members without voting_since (written before it) cannot tell a promoted OBSERVER from a
  // voter: the snapshot is refused, so the pod is rebuilt from its events.
  const auto at = now.find("\"voting_since\":");
  ASSERT_NE(at, std::string::npos);
  const auto end = now.find(',', at);
  EXPECT_FALSE(decode_snapshot(now.substr(0, at) + now.substr(end + 1)));
}

// Goal: a digest that is not 32 lower-case hex digits makes the snapshot invalid (the pod then
// rebuilds from its events), never a silently different key.
TEST(pod_snapshot, malformed_digest_is_refused) {
  const auto now = encode_snapshot(sample_pod());
  auto at = now.find("\"creation_key_digest\":\"") + 23;
  for (std::string bad : {"zz", "ABCDEF0123456789ABCDEF0123456789", "00"}) {
    auto text = now;
    text.replace(at, 32, bad);
    EXPECT_FALSE(decode_snapshot(text)) << bad;
  }
}

// Goal: a pod with no pledges or payouts carries no storage for them, and copies are deep.
TEST(pod_snapshot, funds_are_absent_until_used_and_copied_deeply) {
  std::optional<pod_record> idle;
  auto created = decide_create(creation("pod_00000000000000d2", "Idle"));
  ASSERT_TRUE(created);
  for (const auto& e : *created) ASSERT_TRUE(apply_event(idle, e));
  EXPECT_TRUE(idle->funds->pledges.empty());
  EXPECT_EQ(&*idle->funds, &*pod_record{}.funds) << "an empty pod reads the shared empty part";

  auto busy = sample_pod();
  auto copy = busy;
  EXPECT_NE(&*copy.funds, &*busy.funds);
  copy.funds.write().pledges.clear();
  EXPECT_EQ(busy.funds->pledges.size(), 1u);
}

/// Applies what `decided` says to `pod`; false (with a test failure) if it was refused.
template <class Decided>
bool apply_all(pod_record& pod, const Decided& decided) {
  EXPECT_TRUE(decided) << (decided ? "" : decided.error().detail);
  if (!decided) return false;
  std::optional<pod_record> state{std::move(pod)};
  for (const auto& e : *decided) EXPECT_TRUE(apply_event(state, e));
  pod = std::move(*state);
  return true;
}

// Goal: pledges due together expire in the order they were made (as the journal always had
// them), and a currency whose only pledge expired keeps its zero balance row after a snapshot.
TEST(pod_snapshot, expiry_order_and_balance_rows_survive_a_snapshot) {
  auto pod = sample_pod();
  auto pledge = [&](std::string id, std::string currency, std::int64_t due) {
    make_pledge p;
    p.pod_id = pod.pod_id;
    p.by = {"owner_1", false};
    p.pledge_id = std::move(id);
    p.user_id = "owner_1";
    p.amount_minor = 700;
    p.currency = std::move(currency);
    p.due_at_ms = due;
    p.requested_at_ms = t0 + 3;
    ASSERT_TRUE(apply_all(pod, decide(pod, p)));
  };
  pledge("plg_00000000000000e1", "GBP", t0 + 9'000);  // made first, due last
  pledge("plg_00000000000000e2", "GBP", t0 + 5'000);
  auto expired = expire_due_pledges(pod, t0 + 10'000);
  ASSERT_EQ(expired.size(), 2u);
  EXPECT_EQ(std::get<pledge_expired>(expired[0]).pledge_id, "plg_00000000000000e1");
  EXPECT_EQ(std::get<pledge_expired>(expired[1]).pledge_id, "plg_00000000000000e2");
  ASSERT_TRUE(apply_all(pod, result<std::vector<pod_event>>{expired}));
  auto currencies = [](const pod_record& p) {
    std::vector<std::string> out;
    for (const auto& b : balance_of(p, 1, t0 + 10'000, nullptr).balances) out.push_back(b.currency);
    return out;
  };
  auto back = decode_snapshot(encode_snapshot(pod));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(currencies(*back), currencies(pod));
  EXPECT_EQ(currencies(pod), (std::vector<std::string>{"EUR", "GBP"}));
}

// Goal: the running sums and the due index a pod keeps for its pledges always equal what a
// walk over every pledge gives, through random pledges, settlements and expiries in two
// currencies, in the balance and in a snapshot's recount.
TEST(pod_snapshot, pledge_sums_match_a_walk_over_every_pledge) {
  auto pod = sample_pod();
  std::uint64_t seed = 42;
  auto next = [&seed](std::uint64_t bound) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    return (seed >> 33) % bound;
  };
  std::int64_t now = t0 + 10;
  for (int step = 0; step < 600; ++step) {
    now += static_cast<std::int64_t>(next(5'000));
    const auto op = next(10);
    if (op < 6) {
      make_pledge p;
      p.pod_id = pod.pod_id;
      p.by = {"owner_1", false};
      p.pledge_id = "plg_" + std::to_string(1'000'000 + step);
      p.user_id = "owner_1";
      p.amount_minor = static_cast<std::int64_t>(1 + next(100'000));
      p.currency = next(2) == 0 ? "EUR" : "GBP";
      p.due_at_ms = next(3) == 0 ? 0 : now + static_cast<std::int64_t>(next(60'000));
      p.requested_at_ms = now;
      ASSERT_TRUE(apply_all(pod, decide(pod, p)));
    } else if (op < 9 && !pod.funds->pledges.empty()) {
      const auto& target = pod.funds->pledges[next(pod.funds->pledges.size())];
      if (effective_status(target, now) != pledge_status::pledged) continue;
      ASSERT_TRUE(apply_all(
          pod, decide(pod, settle_pledge{pod.pod_id, {"owner_1", false}, target.pledge_id, now})));
    } else {
      result<std::vector<pod_event>> expired{expire_due_pledges(pod, now)};
      ASSERT_TRUE(apply_all(pod, expired));
    }
    // What a walk over every pledge says the balance is, as of now.
    std::map<std::string, std::pair<std::int64_t, std::int64_t>> walked;  // posted, pending
    for (const auto& p : pod.funds->pledges) {
      auto& w = walked[std::string(p.pledge_currency.code())];
      const auto status = effective_status(p, now);
      if (status == pledge_status::settled) w.first += p.amount_minor;
      if (status == pledge_status::pledged) w.second += p.amount_minor;
    }
    for (const auto& b : balance_of(pod, 1, now, nullptr).balances) {
      EXPECT_EQ(b.posted_minor, walked[b.currency].first) << b.currency << " at step " << step;
      EXPECT_EQ(b.pending_minor, walked[b.currency].second) << b.currency << " at step " << step;
    }
    auto recounted = pod;
    recount_funds(recounted);
    ASSERT_EQ(recounted.funds->open_due, pod.funds->open_due) << "at step " << step;
    ASSERT_EQ(recounted.funds->pledge_totals.size(), pod.funds->pledge_totals.size());
    for (const auto& [code, sums] : pod.funds->pledge_totals) {
      EXPECT_EQ(sums.pledged_minor, recounted.funds->pledge_totals.at(code).pledged_minor);
      EXPECT_EQ(sums.settled_minor, recounted.funds->pledge_totals.at(code).settled_minor);
    }
  }
  std::map<pledge_status, int> seen;
  std::set<std::string> currencies;
  for (const auto& p : pod.funds->pledges) {
    ++seen[p.status];
    currencies.insert(std::string(p.pledge_currency.code()));
  }
  EXPECT_GT(seen[pledge_status::pledged], 10);
  EXPECT_GT(seen[pledge_status::settled], 10);
  EXPECT_GT(seen[pledge_status::expired], 10);
  EXPECT_EQ(currencies.size(), 2u);
  auto back = decode_snapshot(encode_snapshot(pod));
  ASSERT_TRUE(back) << back.error().detail;
  EXPECT_EQ(back->funds->open_due, pod.funds->open_due);
}

// Goal: the balance total says why it is missing. A currency without a rate is a missing rate;
// a converted amount or a sum past int64 minor units is out of range, however the currencies
// are ordered, and leaves the rate it used listed.
TEST(pod_balance, a_total_past_int64_is_out_of_range_not_a_missing_rate) {
  constexpr std::int64_t huge = 4'000'000'000'000'000'000;  // minor units; two fit, three do not
  const adapters::static_fx_rates rates(
      {{"JPY", "EUR", "1000", t0}, {"USD", "EUR", "1", t0}, {"CHF", "EUR", "1", t0}}, t0);
  auto settled = [](pod_record& pod, std::string id, std::string currency, std::int64_t amount) {
    make_pledge p;
    p.pod_id = pod.pod_id;
    p.by = {"owner_1", false};
    p.pledge_id = id;
    p.user_id = "owner_1";
    p.amount_minor = amount;
    p.currency = std::move(currency);
    p.requested_at_ms = t0 + 3;
    ASSERT_TRUE(apply_all(pod, decide(pod, p)));
    ASSERT_TRUE(
        apply_all(pod, decide(pod, settle_pledge{pod.pod_id, {"owner_1", false}, id, t0 + 4})));
  };

  auto pod = sample_pod();  // 25.00 EUR pending, nothing posted
  settled(pod, "plg_00000000000000f1", "USD", huge);
  settled(pod, "plg_00000000000000f2", "GBP", 500);  // no GBP rate
  auto v = balance_of(pod, 1, t0 + 5, &rates);
  EXPECT_EQ(v.missing_rates, std::vector<std::string>{"GBP"});
  EXPECT_FALSE(v.total_out_of_range);

  settled(pod, "plg_00000000000000f3", "CHF", huge);
  v = balance_of(pod, 1, t0 + 5, &rates);
  EXPECT_FALSE(v.total_out_of_range);  // 8e18 still fits
  settled(pod, "plg_00000000000000f4", "EUR", huge);
  v = balance_of(pod, 1, t0 + 5, &rates);
  EXPECT_TRUE(v.total_out_of_range);  // 12e18 does not
  EXPECT_EQ(v.missing_rates, std::vector<std::string>{"GBP"});

  auto other = sample_pod();
  settled(other, "plg_00000000000000f5", "JPY", 10'000'000'000'000'000);  // x1000 x100 EUR cents
  v = balance_of(other, 1, t0 + 5, &rates);
  EXPECT_TRUE(v.total_out_of_range);
  EXPECT_TRUE(v.missing_rates.empty());
  ASSERT_EQ(v.rates.size(), 1u);
  EXPECT_EQ(v.rates[0].base, "JPY");

  auto fits = sample_pod();
  settled(fits, "plg_00000000000000f6", "USD", 1'001);
  v = balance_of(fits, 1, t0 + 5, &rates);
  EXPECT_FALSE(v.total_out_of_range);
  EXPECT_TRUE(v.missing_rates.empty());
  EXPECT_EQ(v.total_available_minor, 1'001);  // the 25.00 EUR pledge is pending, not available
}

}  // namespace
}  // namespace payorch::testing
