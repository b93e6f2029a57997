// The [providers] section: URLs, the webhook secret, retry and breaker settings.
#include <gtest/gtest.h>

#include "config/key_table.hpp"
#include "config/settings.hpp"
#include "tests/unit/config/config_test_support.hpp"

namespace payorch::config::test {
namespace {

constexpr std::string_view every_provider_key = R"(
[providers]
base_url = "http://10.0.0.5:9000/api"
fx = "http://fx.internal:8081"
kyc = "http://[::1]:8082/"
sanctions = "http://sanctions:8083"
risk = "http://risk"
rail = "http://rail:8085"
psp = "http://psp:8086"
webhook_secret = "a-webhook-secret"
timeout_ms = 750
max_attempts = 5
initial_backoff_ms = 0
max_backoff_ms = 60000
backoff_multiplier = 3
jitter = "equal"
breaker_failures = 9
breaker_window_ms = 20000
breaker_open_ms = 1500
breaker_half_open_probes = 2
max_idle_per_host = 0
idle_timeout_ms = 4000
)";

void expect_every_provider_key_changed(const provider_settings& p) {
  EXPECT_EQ(p.base_url, "http://10.0.0.5:9000/api");
  EXPECT_EQ(p.fx, "http://fx.internal:8081");
  EXPECT_EQ(p.kyc, "http://[::1]:8082/");
  EXPECT_EQ(p.sanctions, "http://sanctions:8083");
  EXPECT_EQ(p.risk, "http://risk");
  EXPECT_EQ(p.rail, "http://rail:8085");
  EXPECT_EQ(p.psp, "http://psp:8086");
  EXPECT_EQ(p.webhook_secret, "a-webhook-secret");
  EXPECT_EQ(p.timeout_ms, 750);
  EXPECT_EQ(p.max_attempts, 5);
  EXPECT_EQ(p.initial_backoff_ms, 0);
  EXPECT_EQ(p.max_backoff_ms, 60000);
  EXPECT_EQ(p.backoff_multiplier, 3);
  EXPECT_EQ(p.jitter, "equal");
  EXPECT_EQ(p.breaker_failures, 9);
  EXPECT_EQ(p.breaker_window_ms, 20000);
  EXPECT_EQ(p.breaker_open_ms, 1500);
  EXPECT_EQ(p.breaker_half_open_probes, 2);
  EXPECT_EQ(p.max_idle_per_host, 0);
  EXPECT_EQ(p.idle_timeout_ms, 4000);
}

// Goal: the defaults point at `payorch sandbox`'s default address with no secret.
TEST(provider_settings, defaults) {
  const provider_settings p = loaded(load_text("")).providers;
  EXPECT_EQ(p, provider_settings{});
  EXPECT_EQ(p.base_url, "http://127.0.0.1:8090");
  EXPECT_TRUE(p.fx.empty());
  EXPECT_TRUE(p.webhook_secret.empty());
  EXPECT_EQ(p.timeout_ms, 2000);
  EXPECT_EQ(p.max_attempts, 3);
  EXPECT_EQ(p.initial_backoff_ms, 100);
  EXPECT_EQ(p.max_backoff_ms, 2000);
  EXPECT_EQ(p.backoff_multiplier, 2);
  EXPECT_EQ(p.jitter, "full");
  EXPECT_EQ(p.breaker_failures, 5);
  EXPECT_EQ(p.breaker_window_ms, 10000);
  EXPECT_EQ(p.breaker_open_ms, 5000);
  EXPECT_EQ(p.breaker_half_open_probes, 1);
  EXPECT_EQ(p.max_idle_per_host, 8);
  EXPECT_EQ(p.idle_timeout_ms, 30000);
}

// Goal: the file sets every key of [providers], each into its own member.
TEST(provider_settings, file_sets_every_key) {
  expect_every_provider_key_changed(loaded(load_text(every_provider_key)).providers);
}

// Goal: the environment sets every key as PAYORCH_PROVIDERS_<KEY>.
TEST(provider_settings, environment_sets_every_key) {
  const environment env{
      {"PAYORCH_PROVIDERS_BASE_URL", "http://10.0.0.5:9000/api"},
      {"PAYORCH_PROVIDERS_FX", "http://fx.internal:8081"},
      {"PAYORCH_PROVIDERS_KYC", "http://[::1]:8082/"},
      {"PAYORCH_PROVIDERS_SANCTIONS", "http://sanctions:8083"},
      {"PAYORCH_PROVIDERS_RISK", "http://risk"},
      {"PAYORCH_PROVIDERS_RAIL", "http://rail:8085"},
      {"PAYORCH_PROVIDERS_PSP", "http://psp:8086"},
      {"PAYORCH_PROVIDERS_WEBHOOK_SECRET", "a-webhook-secret"},
      {"PAYORCH_PROVIDERS_TIMEOUT_MS", "750"},
      {"PAYORCH_PROVIDERS_MAX_ATTEMPTS", "5"},
      {"PAYORCH_PROVIDERS_INITIAL_BACKOFF_MS", "0"},
      {"PAYORCH_PROVIDERS_MAX_BACKOFF_MS", "60000"},
      {"PAYORCH_PROVIDERS_BACKOFF_MULTIPLIER", "3"},
      {"PAYORCH_PROVIDERS_JITTER", "equal"},
      {"PAYORCH_PROVIDERS_BREAKER_FAILURES", "9"},
      {"PAYORCH_PROVIDERS_BREAKER_WINDOW_MS", "20000"},
      {"PAYORCH_PROVIDERS_BREAKER_OPEN_MS", "1500"},
      {"PAYORCH_PROVIDERS_BREAKER_HALF_OPEN_PROBES", "2"},
      {"PAYORCH_PROVIDERS_MAX_IDLE_PER_HOST", "0"},
      {"PAYORCH_PROVIDERS_IDLE_TIMEOUT_MS", "4000"},
  };
  expect_every_provider_key_changed(loaded(load_env(env)).providers);
}

// Goal: base_url comes from the file, PAYORCH_PROVIDERS, PAYORCH_PROVIDERS_BASE_URL and
// --providers, each overriding the one before.
TEST(provider_settings, base_url_precedence) {
  temp_dir dir;
  auto file = dir.write("p.toml", "[providers]\nbase_url = \"http://file:1\"\n");
  auto base_url = [&](const environment& env, std::optional<std::string> flag) {
    flag_overrides flags;
    flags.providers = std::move(flag);
    return loaded(load_settings(file, env, flags)).providers.base_url;
  };
  EXPECT_EQ(base_url({}, std::nullopt), "http://file:1");
  EXPECT_EQ(base_url({{"PAYORCH_PROVIDERS", "http://short:2"}}, std::nullopt), "http://short:2");
  EXPECT_EQ(base_url({{"PAYORCH_PROVIDERS", "http://short:2"},
                      {"PAYORCH_PROVIDERS_BASE_URL", "http://long:3"}},
                     std::nullopt),
            "http://long:3");
  EXPECT_EQ(base_url({{"PAYORCH_PROVIDERS_BASE_URL", "http://long:3"}}, "http://flag:4"),
            "http://flag:4");
}

// Goal: a provider's own URL wins over base_url; an empty one falls back to it.
TEST(provider_settings, url_of_each_provider) {
  provider_settings p = loaded(load_text(every_provider_key)).providers;
  EXPECT_EQ(p.url_of("fx"), "http://fx.internal:8081");
  EXPECT_EQ(p.url_of("psp"), "http://psp:8086");
  p.rail.clear();
  EXPECT_EQ(p.url_of("rail"), "http://10.0.0.5:9000/api");
  EXPECT_EQ(p.url_of("nats"), "http://10.0.0.5:9000/api");
  EXPECT_EQ(provider_settings{}.url_of("kyc"), "http://127.0.0.1:8090");
}

// Goal: malformed URLs are refused with one line naming the key and the source.
TEST(provider_settings, bad_urls_name_the_key) {
  expect_error(load_text("[providers]\nbase_url = \"https://x\"\n"), "providers.base_url",
               "https is not supported yet");
  expect_error(load_text("[providers]\nbase_url = \"\"\n"), "providers.base_url",
               "must be an http://host:port URL");
  expect_error(load_text("[providers]\nfx = \"ftp://x\"\n"), "providers.fx", "http://");
  expect_error(load_env({{"PAYORCH_PROVIDERS", "127.0.0.1:8090"}}), "providers.base_url",
               "from PAYORCH_PROVIDERS");
  expect_error(load_env({{"PAYORCH_PROVIDERS_KYC", "http://h:0"}}), "providers.kyc",
               "port between 1 and 65535");
  expect_error(load_env({{"PAYORCH_PROVIDERS_RAIL", "http://h:99999"}}), "providers.rail",
               "port between 1 and 65535");
  expect_error(load_env({{"PAYORCH_PROVIDERS_PSP", "http://h:"}}), "providers.psp", "port");
  expect_error(load_env({{"PAYORCH_PROVIDERS_RISK", "http://"}}), "providers.risk", "host");
  expect_error(load_env({{"PAYORCH_PROVIDERS_RISK", "http://:80"}}), "providers.risk", "host");
  expect_error(load_env({{"PAYORCH_PROVIDERS_RISK", "http://u:p@h"}}), "providers.risk",
               "user or password");
  expect_error(load_env({{"PAYORCH_PROVIDERS_FX", "http://h/a b"}}), "providers.fx", "spaces");
  expect_error(load_env({{"PAYORCH_PROVIDERS_FX", "http://h/?q=1"}}), "providers.fx", "query");
  expect_error(load_env({{"PAYORCH_PROVIDERS_FX", "http://[::1/"}}), "providers.fx", "IPv6");
  flag_overrides flags;
  flags.providers = "nope";
  auto result = load_settings(std::nullopt, {}, flags);
  expect_error(result, "providers.base_url", "from --providers");
  EXPECT_EQ(result.error->line().find('\n'), std::string::npos);
}

// Goal: the webhook secret has bounds, is never echoed in errors, and is masked when printed.
// Goal: a refused URL that holds a password is echoed without it.
TEST(provider_settings, refused_urls_are_echoed_without_their_password) {
  for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
           {"PAYORCH_PROVIDERS", "http://u:hunter2@sandbox:8090"},
           {"PAYORCH_PROVIDERS_KYC", "https://u:hunter2@kyc:8082/v1"},
           {"PAYORCH_SETTLEMENT_CALLBACK_URL", "http://u:hunter2@me:8080"}}) {
    auto refused = load_env({{name, value}});
    ASSERT_TRUE(refused.error.has_value()) << name;
    const auto line = refused.error->line();
    EXPECT_EQ(line.find("hunter2"), std::string::npos) << line;
    EXPECT_NE(line.find("***@"), std::string::npos) << line;
  }
  EXPECT_EQ(detail::without_password("http://a:b@h:1/p@q"), "http://a:***@h:1/p@q");
  EXPECT_EQ(detail::without_password("http://h:1/p@q"), "http://h:1/p@q");
}

// Goal: providers are given a callback base that paths append to: an IPv6 listen host in
// brackets, and no trailing '/' (which made "//callbacks/kyc", a path no route matches).
TEST(provider_settings, callback_base_url_takes_paths) {
  settings s;
  s.listen = {"::1", 8080};
  EXPECT_EQ(callback_base_url(s), "http://[::1]:8080");
  s.listen = {"127.0.0.1", 9000};
  EXPECT_EQ(callback_base_url(s), "http://127.0.0.1:9000");
  s.settlement.callback_url = "http://payorch.internal:8080/api//";
  EXPECT_EQ(callback_base_url(s), "http://payorch.internal:8080/api");
}

TEST(provider_settings, webhook_secret_is_bounded_and_never_shown) {
  expect_error(load_env({{"PAYORCH_PROVIDERS_WEBHOOK_SECRET", "short"}}),
               "providers.webhook_secret", "must be 8 to 1024 bytes (got 5 bytes)");
  auto error = load_env({{"PAYORCH_PROVIDERS_WEBHOOK_SECRET", "short"}}).error;
  ASSERT_TRUE(error);
  EXPECT_EQ(error->line().find("\"short\""), std::string::npos) << error->line();
  EXPECT_TRUE(loaded(load_env({{"PAYORCH_PROVIDERS_WEBHOOK_SECRET", std::string(1024, 'k')}}))
                  .providers.webhook_secret.size() == 1024);
  expect_error(load_env({{"PAYORCH_PROVIDERS_WEBHOOK_SECRET", std::string(1025, 'k')}}),
               "providers.webhook_secret", "1025 bytes");

  settings s;
  s.providers.webhook_secret = "whsec-do-not-print";
  const std::string text = to_toml(s);
  EXPECT_EQ(text.find("whsec-do-not-print"), std::string::npos) << text;
  EXPECT_NE(text.find("# webhook_secret is set (18 bytes) and not shown\n"), std::string::npos)
      << text;
  EXPECT_NE(to_toml(settings{}).find("\n[providers]\n"), std::string::npos);
  EXPECT_NE(to_toml(settings{}).find("\nwebhook_secret = \"\"\n"), std::string::npos);
}

// Goal: printed provider settings load back to the same settings (the secret aside).
TEST(provider_settings, printed_settings_round_trip) {
  settings s = loaded(load_text(every_provider_key));
  s.providers.webhook_secret.clear();
  EXPECT_EQ(loaded(load_text(to_toml(s))), s);
}

// Goal: numbers outside their ranges and unknown jitter words are refused naming the key.
TEST(provider_settings, bad_numbers_and_words_name_the_key) {
  expect_error(load_text("[providers]\nmax_attempts = 0\n"), "providers.max_attempts",
               "between 1 and 10");
  expect_error(load_text("[providers]\nmax_attempts = 11\n"), "providers.max_attempts",
               "between 1 and 10");
  expect_error(load_env({{"PAYORCH_PROVIDERS_TIMEOUT_MS", "5"}}), "providers.timeout_ms",
               "between 10 and 60000");
  expect_error(load_env({{"PAYORCH_PROVIDERS_BREAKER_FAILURES", "0"}}),
               "providers.breaker_failures", "between 1 and 1000");
  expect_error(load_env({{"PAYORCH_PROVIDERS_BACKOFF_MULTIPLIER", "1.5"}}),
               "providers.backoff_multiplier", "must be an integer");
  expect_error(load_text("[providers]\njitter = \"none\"\n"), "providers.jitter",
               R"(must be "full" or "equal" (got "none")");
  expect_error(load_text("[providers]\ntimeout = 5\n"), "providers.timeout", "unknown key");
  expect_error(load_text("[providers]\ntimeout = 5\n"), "providers.timeout",
               "[providers] takes base_url, fx, kyc");
}

}  // namespace
}  // namespace payorch::config::test
