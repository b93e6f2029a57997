#include <gtest/gtest.h>

#include <string>

#include "config/key_table.hpp"
#include "config_test_support.hpp"

namespace payorch::config {
namespace {

using test::expect_error;
using test::load_env;
using test::load_text;
using test::loaded;

/// A well-formed hash line (the digits are not a real PBKDF2 output; config checks the shape).
std::string hash_line(std::string_view iterations = "600000") {
  return "pbkdf2-sha256$" + std::string(iterations) + "$c2FsdHNhbHRzYWx0c2FsdA==$" +
         std::string(43, 'A') + "=";
}

/// A file with one `[[auth.clients]]` table holding `fields` (TOML lines).
std::string client_file(std::string_view fields) {
  return "[[auth.clients]]\n" + std::string(fields);
}

std::string good_client(std::string_view id = "ops") {
  return "id = \"" + std::string(id) + "\"\nsecret_hash = \"" + hash_line() +
         "\"\nscopes = [\"crowdpod:*:admin\", \"operator\"]\n";
}

// Goal: [[auth.clients]] tables load in order with every field, and so do [[fx.rates]].
TEST(auth_settings, clients_and_rates_load_from_the_file) {
  std::string text = client_file(good_client()) +
                     "[[auth.clients]]\nid = \"reader_1\"\nsecret_hash = \"" + hash_line("10000") +
                     "\"\nscopes = [\"crowdpod:pod_0123456789abcdef:read\"]\n"
                     "[[fx.rates]]\nbase = \"EUR\"\nquote = \"USD\"\nrate = \"1.0842\"\n"
                     "[[fx.rates]]\nbase = \"USD\"\nquote = \"JPY\"\nrate = \"151.5\"\n";
  settings s = loaded(load_text(text));
  ASSERT_EQ(s.auth_clients.size(), 2u);
  EXPECT_EQ(s.auth_clients[0], (auth_client{"ops", hash_line(), {"crowdpod:*:admin", "operator"}}));
  EXPECT_EQ(s.auth_clients[1].id, "reader_1");
  EXPECT_EQ(s.auth_clients[1].scopes,
            std::vector<std::string>{"crowdpod:pod_0123456789abcdef:read"});
  ASSERT_EQ(s.fx_rates.size(), 2u);
  EXPECT_EQ(s.fx_rates[0], (fx_rate_entry{"EUR", "USD", "1.0842"}));
  EXPECT_EQ(s.fx_rates[1], (fx_rate_entry{"USD", "JPY", "151.5"}));
}

// Goal: the inline-array spelling is the same setting as the [[...]] spelling.
TEST(auth_settings, inline_arrays_are_the_same_setting) {
  settings s =
      loaded(load_text("[fx]\nrates = [{ base = \"EUR\", quote = \"GBP\", rate = "
                       "\"0.85\" }]\n[auth]\nclients = []\n"));
  EXPECT_EQ(s.fx_rates, (std::vector<fx_rate_entry>{{"EUR", "GBP", "0.85"}}));
  EXPECT_TRUE(s.auth_clients.empty());
}

// Goal: a client with a missing, unknown or mistyped field is refused, naming the client.
TEST(auth_settings, client_fields_are_checked) {
  expect_error(load_text(client_file("id = \"a\"\nscopes = [\"*\"]\n")), "auth.clients",
               "client 1 (in ");
  expect_error(load_text(client_file("id = \"a\"\nscopes = [\"*\"]\n")), "auth.clients",
               "secret_hash is required");
  expect_error(load_text(client_file(good_client() + "secret = \"x\"\n")), "auth.clients",
               "unknown field secret (it takes id, secret_hash, scopes)");
  expect_error(
      load_text(client_file("id = \"a\"\nsecret_hash = \"" + hash_line() + "\"\nscopes = \"*\"\n")),
      "auth.clients", "scopes must be an array of strings, not a string");
  expect_error(load_text(client_file("id = 5\n")), "auth.clients",
               "id must be a string or an array of strings, not an integer");
  expect_error(load_text(client_file("id = [\"a\"]\nsecret_hash = \"" + hash_line() +
                                     "\"\nscopes = [\"*\"]\n")),
               "auth.clients", "id must be a string, not an array");
  expect_error(load_text("[auth]\nclients = \"ops\"\n"), "auth.clients",
               "must be [[auth.clients]] tables of id, secret_hash and scopes, not a string");
  expect_error(load_text("[auth]\nclients = [\"ops\"]\n"), "auth.clients",
               "not an array holding a string");
}

// Goal: client ids are short, plain and unique.
TEST(auth_settings, client_ids_are_checked) {
  EXPECT_EQ(loaded(load_text(client_file(good_client("A.b_c~d-9")))).auth_clients[0].id,
            "A.b_c~d-9");
  expect_error(load_text(client_file(good_client(""))), "auth.clients", "id must be 1 to 128");
  expect_error(load_text(client_file(good_client("has space"))), "auth.clients", "id must be");
  expect_error(load_text(client_file(good_client("a:b"))), "auth.clients", "id must be");
  expect_error(load_text(client_file(good_client(std::string(129, 'x')))), "auth.clients",
               "id must be");
  expect_error(load_text(client_file(good_client()) + client_file(good_client())), "auth.clients",
               "client 2 (in ");
  expect_error(load_text(client_file(good_client()) + client_file(good_client())), "auth.clients",
               "id ops is used by an earlier client");
}

// Goal: a secret hash must have the documented shape, iteration bounds and sizes.
TEST(auth_settings, secret_hashes_are_checked) {
  auto with_hash = [](const std::string& hash) {
    return load_text(client_file("id = \"a\"\nsecret_hash = \"" + hash + "\"\nscopes = [\"*\"]\n"));
  };
  EXPECT_EQ(loaded(with_hash(hash_line("10000"))).auth_clients.size(), 1u);
  EXPECT_EQ(loaded(with_hash(hash_line("10000000"))).auth_clients.size(), 1u);
  expect_error(with_hash("plain-secret"), "auth.clients", "secret_hash must be pbkdf2-sha256$");
  expect_error(with_hash("pbkdf2-sha1$10000$c2FsdHNhbHRzYWx0c2FsdA==$x"), "auth.clients",
               "must be pbkdf2-sha256$");
  expect_error(with_hash(hash_line("9999")), "auth.clients",
               "must use 10000 to 10000000 iterations");
  expect_error(with_hash(hash_line("10000001")), "auth.clients", "iterations");
  expect_error(with_hash(hash_line("1e5")), "auth.clients", "iterations");
  expect_error(with_hash("pbkdf2-sha256$10000$c2FsdA==$" + std::string(43, 'A') + "="),
               "auth.clients", "salt of at least 16 bytes");
  expect_error(with_hash("pbkdf2-sha256$10000$c2FsdHNhbHRzYWx0c2FsdA==$AAAA"), "auth.clients",
               "base64 SHA-256 (32 bytes)");
  expect_error(
      with_hash("pbkdf2-sha256$10000$c2FsdHNhbHRz!Wx0c2FsdA==$" + std::string(43, 'A') + "="),
      "auth.clients", "salt");
  expect_error(with_hash("pbkdf2-sha256$10000$c2FsdHNhbHRzYWx0c2FsdA=="), "auth.clients",
               "must be pbkdf2-sha256$");
}

// Goal: scopes follow the grammar; pod ids must be real pod ids; an empty list is refused.
TEST(auth_settings, scopes_are_checked) {
  for (std::string_view good : {"*", "operator", "crowdpod:*:read", "crowdpod:*:write",
                                "crowdpod:*:admin", "crowdpod:pod_0123456789abcdef:write"}) {
    EXPECT_FALSE(detail::scope_problem(good)) << good;
  }
  for (std::string_view bad :
       {"", "crowdpod", "crowdpod:*", "crowdpod:*:delete", "crowdpod::read", "pods:*:read",
        "crowdpod:*:READ", "crowdpod:pod_x:read", "crowdpod:*:read:extra", "operator "}) {
    EXPECT_TRUE(detail::scope_problem(bad)) << bad;
  }
  auto with_scopes = [](std::string_view scopes) {
    return load_text(client_file("id = \"a\"\nsecret_hash = \"" + hash_line() +
                                 "\"\nscopes = " + std::string(scopes) + "\n"));
  };
  expect_error(with_scopes("[]"), "auth.clients", "scopes must list 1 to 200 scopes");
  expect_error(with_scopes("[\"crowdpod:*:delete\"]"), "auth.clients",
               "scope \"crowdpod:*:delete\" must be *, operator or crowdpod:");
  expect_error(with_scopes("[\"crowdpod:pod_1:read\"]"), "auth.clients", "no valid pod id");
}

// Goal: FX rates need known, different currencies, an exact positive rate as text, unique pairs.
TEST(auth_settings, fx_rates_are_checked) {
  auto rate = [](std::string_view base, std::string_view quote, std::string_view value) {
    return "[[fx.rates]]\nbase = \"" + std::string(base) + "\"\nquote = \"" + std::string(quote) +
           "\"\nrate = " + std::string(value) + "\n";
  };
  EXPECT_EQ(loaded(load_text(rate("EUR", "JPY", "\"162.123456789\""))).fx_rates[0].rate,
            "162.123456789");
  expect_error(load_text(rate("EUR", "XYZ", "\"1\"")), "fx.rates",
               "quote \"XYZ\" is not an ISO 4217 currency code");
  expect_error(load_text(rate("eur", "USD", "\"1\"")), "fx.rates", "base \"eur\"");
  expect_error(load_text(rate("EUR", "EUR", "\"1\"")), "fx.rates", "base and quote must differ");
  for (std::string_view bad : {"\"0\"", "\"-1.2\"", "\"1.0000000001\"", "\"abc\"", "\"\""}) {
    expect_error(load_text(rate("EUR", "USD", bad)), "fx.rates", "must be a positive decimal");
  }
  expect_error(load_text(rate("EUR", "USD", "1.0842")), "fx.rates",
               "rate must be a string or an array of strings, not a floating-point number");
  expect_error(load_text(rate("EUR", "USD", "\"1.1\"") + rate("EUR", "USD", "\"1.2\"")), "fx.rates",
               "rate 2 (in ");
  expect_error(load_text(rate("EUR", "USD", "\"1.1\"") + rate("EUR", "USD", "\"1.2\"")), "fx.rates",
               "EUR/USD is given by an earlier rate");
  // The reverse pair is a different rate, not a duplicate.
  EXPECT_EQ(loaded(load_text(rate("EUR", "USD", "\"1.1\"") + rate("USD", "EUR", "\"0.9\"")))
                .fx_rates.size(),
            2u);
}

// Goal: lists of tables cannot come from the environment; the error says where they go.
TEST(auth_settings, lists_of_tables_only_come_from_the_file) {
  expect_error(load_env({{"PAYORCH_AUTH_CLIENTS", "ops"}}), "auth.clients",
               "can only be set in the config file, as [[auth.clients]] tables");
  expect_error(load_env({{"PAYORCH_FX_RATES", "EUR/USD=1.1"}}), "fx.rates",
               "from PAYORCH_FX_RATES");
}

// Goal: HS256 needs a secret of 32 to 1024 bytes, and a bad secret is never echoed.
TEST(auth_settings, hs256_needs_a_long_enough_secret) {
  const std::string secret(32, 's');
  settings s = loaded(
      load_env({{"PAYORCH_AUTH_ALGORITHM", "HS256"}, {"PAYORCH_AUTH_HS256_SECRET", secret}}));
  EXPECT_EQ(s.auth_algorithm, "HS256");
  EXPECT_EQ(s.auth_hs256_secret, secret);
  expect_error(load_env({{"PAYORCH_AUTH_ALGORITHM", "HS256"}}), "auth.hs256_secret",
               "must be set when auth.algorithm is HS256");
  auto short_secret = load_env({{"PAYORCH_AUTH_HS256_SECRET", "short-but-real-secret"}});
  expect_error(short_secret, "auth.hs256_secret",
               "must be 32 to 1024 bytes (got 21 bytes) (from PAYORCH_AUTH_HS256_SECRET)");
  EXPECT_EQ(short_secret.error->line().find("short-but-real"), std::string::npos);
  expect_error(load_env({{"PAYORCH_AUTH_HS256_SECRET", std::string(1025, 's')}}),
               "auth.hs256_secret", "must be 32 to 1024 bytes");
  // A secret with ES256 is allowed (kept for a switch), and ES256 needs no secret.
  EXPECT_EQ(loaded(load_env({{"PAYORCH_AUTH_HS256_SECRET", secret}})).auth_algorithm, "ES256");
}

// Goal: the algorithm, issuer and audience accept only their documented values.
TEST(auth_settings, algorithm_issuer_and_audience_are_checked) {
  expect_error(load_env({{"PAYORCH_AUTH_ALGORITHM", "none"}}), "auth.algorithm",
               "must be one of ES256, HS256");
  expect_error(load_env({{"PAYORCH_AUTH_ALGORITHM", "es256"}}), "auth.algorithm", "must be one of");
  expect_error(load_env({{"PAYORCH_AUTH_ALGORITHM", "RS256"}}), "auth.algorithm", "must be one of");
  expect_error(load_env({{"PAYORCH_AUTH_ISSUER", ""}}), "auth.issuer", "must not be empty");
  expect_error(load_env({{"PAYORCH_AUTH_AUDIENCE", "a\nb"}}), "auth.audience",
               "must be printable ASCII");
  expect_error(load_env({{"PAYORCH_AUTH_AUDIENCE", std::string(257, 'a')}}), "auth.audience",
               "at most 256 bytes");
  expect_error(load_text("[auth]\ntoken_ttl_s = 60\n"), "auth.token_ttl_s",
               "must be between 300 and 86400");
}

}  // namespace
}  // namespace payorch::config
