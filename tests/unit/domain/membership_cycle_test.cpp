// Roles, reputation, contribution cycles and RFC 3339 parsing.
#include <gtest/gtest.h>

#include "domain/cycle.hpp"
#include "domain/membership.hpp"
#include "domain/time.hpp"

namespace payorch {
namespace {

TEST(member_role, spells_and_parses_every_role) {
  for (auto r :
       {member_role::admin, member_role::treasurer, member_role::member, member_role::observer})
    EXPECT_EQ(member_role_from_string(to_string(r)), r);
  EXPECT_FALSE(member_role_from_string("admin"));  // upper case only
  auto bad = parse_member_role("OWNER", "role");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, errc::invalid_role);
  EXPECT_EQ(bad.error().param, "role");
}

TEST(role_matrix, an_observer_reads_but_never_moves_money) {
  for (auto a : {pod_action::change_policy, pod_action::manage_members, pod_action::change_status,
                 pod_action::pledge, pod_action::settle_pledge, pod_action::request_payout,
                 pod_action::vote})
    EXPECT_FALSE(role_allows(member_role::observer, a)) << to_string(a);
}

TEST(role_matrix, admin_may_do_everything) {
  for (auto a : {pod_action::change_policy, pod_action::manage_members, pod_action::change_status,
                 pod_action::pledge, pod_action::settle_pledge, pod_action::request_payout,
                 pod_action::vote})
    EXPECT_TRUE(role_allows(member_role::admin, a)) << to_string(a);
}

TEST(role_matrix, treasurer_moves_money_but_does_not_govern) {
  EXPECT_TRUE(role_allows(member_role::treasurer, pod_action::settle_pledge));
  EXPECT_TRUE(role_allows(member_role::treasurer, pod_action::request_payout));
  EXPECT_TRUE(role_allows(member_role::treasurer, pod_action::pledge));
  EXPECT_FALSE(role_allows(member_role::treasurer, pod_action::change_policy));
  EXPECT_FALSE(role_allows(member_role::treasurer, pod_action::manage_members));
}

TEST(role_matrix, member_pledges_and_votes_only) {
  EXPECT_TRUE(role_allows(member_role::member, pod_action::pledge));
  EXPECT_TRUE(role_allows(member_role::member, pod_action::vote));
  EXPECT_FALSE(role_allows(member_role::member, pod_action::settle_pledge));
  EXPECT_FALSE(role_allows(member_role::member, pod_action::change_status));
}

TEST(user_id, accepts_the_documented_alphabet_and_rejects_the_rest) {
  EXPECT_TRUE(validate_user_id("alice@example.org", "user_id"));
  EXPECT_TRUE(validate_user_id("usr_01:a-b.c", "user_id"));
  for (std::string bad : {std::string(), std::string("a b"), std::string("ä"),
                          std::string(129, 'a'), std::string("x/y")}) {
    auto r = validate_user_id(bad, "user_id");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().param, "user_id");
  }
}

TEST(reputation, starts_at_fifty_and_stays_within_bounds) {
  EXPECT_EQ(reputation_score({}), 50);
  EXPECT_EQ(reputation_score({2, 0, 0}), 60);
  EXPECT_EQ(reputation_score({0, 1, 0}), 35);
  EXPECT_EQ(reputation_score({0, 0, 3}), 53);
  EXPECT_EQ(reputation_score({100, 0, 0}), 100);
  EXPECT_EQ(reputation_score({0, 100, 0}), 0);
  EXPECT_EQ(reputation_score({INT64_MAX, 0, INT64_MAX}), 100);  // no wrap on corrupt counters
  EXPECT_EQ(reputation_score({-5, -5, -5}), 50);
}

TEST(rfc3339, parses_utc_offsets_and_millisecond_fractions) {
  EXPECT_EQ(*parse_rfc3339("1970-01-01T00:00:00Z", "t"), 0);
  EXPECT_EQ(*parse_rfc3339("2024-05-22T14:11:02Z", "t"), 1716387062000);
  EXPECT_EQ(*parse_rfc3339("2024-05-22T16:11:02.5+02:00", "t"), 1716387062500);
  EXPECT_EQ(*parse_rfc3339("2024-05-22T14:11:02.123000Z", "t"), 1716387062123);
  EXPECT_EQ(format_rfc3339_utc(*parse_rfc3339("2024-02-29T23:59:59.999Z", "t")),
            "2024-02-29T23:59:59.999Z");
  // The range's ends, reached through offsets too.
  EXPECT_EQ(format_rfc3339_utc(*parse_rfc3339("9999-12-31T21:59:59.999-02:00", "t")),
            "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_utc(*parse_rfc3339("0000-01-01T01:00:00+01:00", "t")),
            "0000-01-01T00:00:00Z");
}

TEST(rfc3339, rejects_impossible_dates_and_lost_precision) {
  for (auto bad : {"", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-05-22 14:11:02Z",
                   "2024-05-22T14:11:02", "2024-05-22T24:00:00Z", "2024-05-22T14:11:02.1234Z",
                   "2024-05-22T14:11:02.Z", "2024-05-22T14:11:02Zjunk",
                   // Offsets that carry the time outside 0000..9999 in UTC.
                   "9999-12-31T23:00:00-02:00", "0000-01-01T00:30:00+01:00"}) {
    auto r = parse_rfc3339(bad, "due_at");
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().param, "due_at");
  }
}

TEST(calendar_months, clamp_to_the_end_of_shorter_months) {
  auto jan31 = *parse_rfc3339("2025-01-31T10:00:00Z", "t");
  EXPECT_EQ(format_rfc3339_utc(add_calendar_months(jan31, 1)), "2025-02-28T10:00:00Z");
  EXPECT_EQ(format_rfc3339_utc(add_calendar_months(jan31, 2)), "2025-03-31T10:00:00Z");
  EXPECT_EQ(format_rfc3339_utc(add_calendar_months(jan31, 13)), "2026-02-28T10:00:00Z");
  EXPECT_EQ(format_rfc3339_utc(add_calendar_months(jan31, -2)), "2024-11-30T10:00:00Z");
}

TEST(cycle, weekly_windows_are_seven_days_from_the_start) {
  auto c = make_cycle("WEEKLY", "2026-01-05T00:00:00Z");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->number_at(c->starts_at_ms - 1));
  EXPECT_EQ(c->number_at(c->starts_at_ms), 1);
  EXPECT_EQ(c->number_at(c->start_of(2) - 1), 1);
  EXPECT_EQ(c->number_at(c->start_of(2)), 2);
  EXPECT_EQ(format_rfc3339_utc(c->start_of(3)), "2026-01-19T00:00:00Z");
}

TEST(cycle, monthly_windows_follow_the_calendar_for_a_century) {
  auto c = make_cycle("MONTHLY", "2026-01-31T00:00:00Z");
  ASSERT_TRUE(c);
  EXPECT_EQ(format_rfc3339_utc(c->start_of(2)), "2026-02-28T00:00:00Z");
  for (std::int64_t n = 1; n <= 1200; ++n) {
    ASSERT_EQ(c->number_at(c->start_of(n)), n);
    ASSERT_EQ(c->number_at(c->start_of(n + 1) - 1), n);
  }
}

// Goal: the last cycle is the last one that ends by 9999-12-31T23:59:59.999Z, so every cycle
// up to it has true RFC 3339 times, and the next one would not.
TEST(cycle, the_last_cycle_ends_within_the_years_rfc3339_writes) {
  constexpr std::int64_t last_ms = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
  auto monthly = make_cycle("MONTHLY", "2026-03-31T00:00:00Z");
  ASSERT_TRUE(monthly);
  const auto n = monthly->last_number();
  EXPECT_EQ(n, (9999 - 2026) * 12 + 9);
  EXPECT_EQ(format_rfc3339_utc(monthly->start_of(n + 1)), "9999-12-31T00:00:00Z");
  EXPECT_LE(monthly->start_of(n + 1), last_ms);
  EXPECT_EQ(monthly->number_at(monthly->start_of(n)), n);

  auto weekly = make_cycle("WEEKLY", "2026-01-05T00:00:00Z");
  ASSERT_TRUE(weekly);
  const auto w = weekly->last_number();
  EXPECT_LE(weekly->start_of(w + 1), last_ms);
  EXPECT_GT(weekly->start_of(w + 2), last_ms);

  auto late = make_cycle("MONTHLY", "9999-12-01T00:00:00Z");
  ASSERT_TRUE(late);
  EXPECT_EQ(late->last_number(), 0);  // its first cycle ends in year 10000
}

TEST(cycle, bad_period_or_start_names_the_field) {
  auto p = make_cycle("DAILY", "2026-01-05T00:00:00Z");
  ASSERT_FALSE(p);
  EXPECT_EQ(p.error().code, errc::invalid_cycle);
  EXPECT_EQ(p.error().param, "cycle.period");
  auto s = make_cycle("WEEKLY", "tomorrow");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().param, "cycle.starts_at");
}

TEST(pledge_status, spells_and_parses_every_status) {
  for (auto s : {pledge_status::pledged, pledge_status::settled, pledge_status::expired,
                 pledge_status::cancelled})
    EXPECT_EQ(pledge_status_from_string(to_string(s)), s);
  EXPECT_FALSE(pledge_status_from_string("pledged"));
}

}  // namespace
}  // namespace payorch
