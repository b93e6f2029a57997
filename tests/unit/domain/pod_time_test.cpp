// Tests of the pod lifecycle, governance policy and name rules, and RFC 3339 formatting.
#include <gtest/gtest.h>

#include <ctime>
#include <random>
#include <string>

#include "domain/pod.hpp"
#include "domain/time.hpp"

namespace payorch {
namespace {

currency cur(std::string_view code) {
  return currency::from_code(code).value();
}

constexpr pod_status all_statuses[] = {pod_status::draft, pod_status::active, pod_status::suspended,
                                       pod_status::closed};
constexpr pod_transition all_transitions[] = {
    pod_transition::policy_accepted, pod_transition::risk_flagged,
    pod_transition::voluntary_closure, pod_transition::manual_override,
    pod_transition::force_closure};

// Status, transition and tier names are spelled as the wire expects and read back.
TEST(pod, names_round_trip) {
  EXPECT_EQ(to_string(pod_status::draft), "DRAFT");
  EXPECT_EQ(to_string(pod_status::active), "ACTIVE");
  EXPECT_EQ(to_string(pod_status::suspended), "SUSPENDED");
  EXPECT_EQ(to_string(pod_status::closed), "CLOSED");
  EXPECT_EQ(to_string(pod_transition::policy_accepted), "PolicyAccepted");
  EXPECT_EQ(to_string(pod_transition::risk_flagged), "RiskFlagged");
  EXPECT_EQ(to_string(pod_transition::voluntary_closure), "VoluntaryClosure");
  EXPECT_EQ(to_string(pod_transition::manual_override), "ManualOverride");
  EXPECT_EQ(to_string(pod_transition::force_closure), "ForceClosure");
  EXPECT_EQ(to_string(risk_tier::low), "LOW");
  EXPECT_EQ(to_string(risk_tier::standard), "STANDARD");
  EXPECT_EQ(to_string(risk_tier::high), "HIGH");
  for (auto s : all_statuses) EXPECT_EQ(pod_status_from_string(to_string(s)), s);
  for (auto t : all_transitions) EXPECT_EQ(pod_transition_from_string(to_string(t)), t);
  for (auto r : {risk_tier::low, risk_tier::standard, risk_tier::high}) {
    EXPECT_EQ(risk_tier_from_string(to_string(r)), r);
  }
  for (const char* bad : {"", "active", "Active", "ACTIVE ", "OPEN", "DRAFTS"}) {
    EXPECT_FALSE(pod_status_from_string(bad)) << bad;
  }
  for (const char* bad : {"", "policyAccepted", "POLICY_ACCEPTED", "Policy Accepted"}) {
    EXPECT_FALSE(pod_transition_from_string(bad)) << bad;
  }
  for (const char* bad : {"", "low", "MEDIUM", " LOW", "Standard"}) {
    EXPECT_FALSE(risk_tier_from_string(bad)) << bad;
  }
}

// Every (status, transition) pair: the five legal moves succeed, all fifteen others fail.
TEST(pod, transition_matrix_is_exact) {
  using enum pod_status;
  using enum pod_transition;
  const auto legal = [](pod_status from, pod_transition t) -> std::optional<pod_status> {
    if (from == draft && t == policy_accepted) return active;
    if (from == active && t == risk_flagged) return suspended;
    if (from == active && t == voluntary_closure) return closed;
    if (from == suspended && t == manual_override) return active;
    if (from == suspended && t == force_closure) return closed;
    return std::nullopt;
  };
  int allowed = 0;
  int forbidden = 0;
  for (auto from : all_statuses) {
    for (auto t : all_transitions) {
      const auto next = next_status(from, t);
      if (const auto expected = legal(from, t)) {
        ++allowed;
        ASSERT_TRUE(next) << to_string(from) << " " << to_string(t);
        EXPECT_EQ(*next, *expected);
      } else {
        ++forbidden;
        ASSERT_FALSE(next) << to_string(from) << " " << to_string(t);
        EXPECT_EQ(next.error().code, errc::illegal_transition);
        EXPECT_NE(next.error().detail.find(to_string(from)), std::string::npos);
        EXPECT_NE(next.error().detail.find(to_string(t)), std::string::npos);
      }
    }
  }
  EXPECT_EQ(allowed, 5);
  EXPECT_EQ(forbidden, 15);
  EXPECT_EQ(*next_status(draft, policy_accepted), active);
  EXPECT_EQ(next_status(closed, manual_override).error().code, errc::illegal_transition);
}

// A valid policy keeps exact decimals and can express its limit as money.
TEST(policy, make_policy_accepts_valid_fields) {
  const auto eur = cur("EUR");
  auto p = make_policy("5000", "0.66", "STANDARD", eur);
  ASSERT_TRUE(p) << p.error().detail;
  EXPECT_EQ(p->spending_limit, (decimal{5000, 0}));
  EXPECT_EQ(p->voting_quorum, (decimal{66, 2}));
  EXPECT_EQ(p->tier, risk_tier::standard);
  EXPECT_EQ(p->voting_quorum.to_string(), "0.66");
  EXPECT_EQ(*p->spending_limit_in(eur), money::of_minor(500000, eur));

  p = make_policy("0", "1", "LOW", eur);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->spending_limit.is_zero());
  p = make_policy("1e3", "1.000", "HIGH", eur);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->spending_limit.to_string(), "1000");
  EXPECT_EQ(p->voting_quorum, (decimal{1, 0}));
  p = make_policy("100.50", "0.000000000000000001", "LOW", eur);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->spending_limit.to_string(), "100.5");
  EXPECT_TRUE(make_policy("100", "0.5", "LOW", cur("JPY")));
  EXPECT_TRUE(make_policy("1.234", "0.5", "LOW", cur("BHD")));
  EXPECT_TRUE(make_policy("92233720368547758.07", "0.5", "LOW", eur));
}

void expect_policy_error(const result<governance_policy>& p, errc code, std::string_view param,
                         std::string_view why) {
  ASSERT_FALSE(p) << why;
  EXPECT_EQ(p.error().code, code) << why;
  EXPECT_EQ(p.error().param, param) << why;
}

// Each bad field gets its own code and names its parameter; fields are checked in order.
TEST(policy, make_policy_rejects_wrong_fields) {
  const auto eur = cur("EUR");
  for (const char* limit :
       {"-1", "-0.01", "1.234", "abc", "", "01", "1e20", "92233720368547758.08", "1e-3", " 5"}) {
    expect_policy_error(make_policy(limit, "0.5", "LOW", eur), errc::invalid_spending_limit,
                        "policy.spending_limit", limit);
  }
  expect_policy_error(make_policy("100.5", "0.5", "LOW", cur("JPY")), errc::invalid_spending_limit,
                      "policy.spending_limit", "JPY decimals");
  for (const char* quorum :
       {"0", "-0.5", "1.0000001", "2", "abc", "", "0.0000000000000000001", "-0", "1e1", ".5"}) {
    expect_policy_error(make_policy("10", quorum, "LOW", eur), errc::invalid_quorum,
                        "policy.voting_quorum", quorum);
  }
  for (const char* tier : {"low", "MEDIUM", "", " LOW", "LOW "}) {
    expect_policy_error(make_policy("10", "0.5", tier, eur), errc::unknown_risk_tier,
                        "policy.risk_tier", tier);
  }
  expect_policy_error(make_policy("-1", "7", "nope", eur), errc::invalid_spending_limit,
                      "policy.spending_limit", "first error wins");
  expect_policy_error(make_policy("1", "7", "nope", eur), errc::invalid_quorum,
                      "policy.voting_quorum", "second error wins");
}

// Names are trimmed and must be 1..200 bytes of valid UTF-8 without control characters.
TEST(pod_name, accepts_and_trims_valid_names) {
  EXPECT_EQ(*validate_pod_name("  Climbing club \t"), "Climbing club");
  EXPECT_EQ(*validate_pod_name("Caf\xC3\xA9 \xE2\x98\x95 \xE6\x97\xA5\xE6\x9C\xAC"),
            "Caf\xC3\xA9 \xE2\x98\x95 \xE6\x97\xA5\xE6\x9C\xAC");
  EXPECT_EQ(*validate_pod_name("\xF0\x9F\x8E\x89 party"), "\xF0\x9F\x8E\x89 party");
  EXPECT_EQ(*validate_pod_name("x"), "x");
  const std::string max(200, 'n');
  EXPECT_EQ(*validate_pod_name(max), max);
  EXPECT_EQ(*validate_pod_name("  " + max + "\n"), max);
  std::string multibyte;
  for (int i = 0; i < 100; ++i) multibyte += "\xC3\xA9";  // 200 bytes, 100 characters
  EXPECT_TRUE(validate_pod_name(multibyte));
}

// Blank, too long, control characters and malformed UTF-8 are invalid_name on "name".
TEST(pod_name, rejects_wrong_names) {
  std::string long_multibyte;
  for (int i = 0; i < 67; ++i) long_multibyte += "\xE2\x82\xAC";  // 201 bytes
  const std::string cases[] = {"",
                               "   ",
                               "\t\n",
                               std::string(201, 'n'),
                               long_multibyte,
                               "a\tb",
                               "a\nb",
                               "a\x7f",
                               std::string("a\0b", 3),
                               "a\x1b[31m",
                               "a\xC2\x85",
                               "\xC3\x28",
                               "\xE0\x80\xAF",
                               "\xED\xA0\x80",
                               "\xF4\x90\x80\x80",
                               "\xE2\x82",
                               "\xFF",
                               "\xC0\xAF",
                               "a\x80"};
  for (const auto& name : cases) {
    const auto r = validate_pod_name(name);
    ASSERT_FALSE(r) << name;
    EXPECT_EQ(r.error().code, errc::invalid_name);
    EXPECT_EQ(r.error().param, "name");
  }
}

// RFC 3339 text: whole seconds without a fraction, otherwise exactly three digits.
TEST(time, formats_rfc3339_utc) {
  EXPECT_EQ(format_rfc3339_utc(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339_utc(1'716'387'062'000), "2024-05-22T14:11:02Z");
  EXPECT_EQ(format_rfc3339_utc(1'716'387'062'123), "2024-05-22T14:11:02.123Z");
  EXPECT_EQ(format_rfc3339_utc(1'716'387'062'007), "2024-05-22T14:11:02.007Z");
  EXPECT_EQ(format_rfc3339_utc(1), "1970-01-01T00:00:00.001Z");
  EXPECT_EQ(format_rfc3339_utc(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_utc(951'782'400'000), "2000-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339_utc(1'709'164'800'000), "2024-02-29T00:00:00Z");
  EXPECT_EQ(format_rfc3339_utc(253'402'300'799'999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_utc(std::numeric_limits<std::int64_t>::max()),
            "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_rfc3339_utc(-62'167'219'200'000), "0000-01-01T00:00:00Z");
  EXPECT_EQ(format_rfc3339_utc(std::numeric_limits<std::int64_t>::min()), "0000-01-01T00:00:00Z");
}

// Property: for random instants in years 1..9999 the text matches the C library's gmtime.
TEST(time, property_matches_gmtime) {
  std::mt19937_64 rng(99);
  const std::int64_t lo = -62'135'596'800'000;  // 0001-01-01
  const std::int64_t hi = 253'402'300'799'999;
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t ms =
        lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo));
    const std::time_t seconds =
        static_cast<std::time_t>(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
    const int millis = static_cast<int>(ms - static_cast<std::int64_t>(seconds) * 1000);
    std::tm parts{};
    ASSERT_NE(gmtime_r(&seconds, &parts), nullptr);
    char expected[40];
    const int n = std::snprintf(expected, sizeof expected, "%04d-%02d-%02dT%02d:%02d:%02d",
                                parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
                                parts.tm_hour, parts.tm_min, parts.tm_sec);
    std::string want(expected, static_cast<std::size_t>(n));
    if (millis != 0) {
      std::snprintf(expected, sizeof expected, ".%03d", millis);
      want += expected;
    }
    want += 'Z';
    ASSERT_EQ(format_rfc3339_utc(ms), want) << ms;
  }
}

}  // namespace
}  // namespace payorch
