// The storage choice (SQLite or a PostgreSQL URI) and the migration policy.
#include <gtest/gtest.h>

#include "config/settings.hpp"
#include "tests/unit/config/config_test_support.hpp"

namespace payorch::config::test {
namespace {

TEST(storage_settings, default_is_the_embedded_sqlite_journal_with_migrations_applied) {
  auto s = loaded(load_text(""));
  EXPECT_EQ(s.storage, "sqlite");
  EXPECT_FALSE(uses_postgres(s));
  EXPECT_TRUE(s.journal_apply_migrations);
}

TEST(storage_settings, a_postgresql_uri_selects_postgres_from_file_env_or_flag) {
  auto from_file = loaded(load_text("storage = \"postgresql://payorch@127.0.0.1:5432/pay\"\n"));
  EXPECT_TRUE(uses_postgres(from_file));
  auto from_env = loaded(load_env({{"PAYORCH_STORAGE", "postgres://u@db:5432/x"}}));
  EXPECT_EQ(from_env.storage, "postgres://u@db:5432/x");
  flag_overrides flags;
  flags.storage = "postgresql://flag@h/db";
  auto r = load_settings(std::nullopt, {{"PAYORCH_STORAGE", "sqlite"}}, flags);
  ASSERT_TRUE(r.value) << r.error->line();
  EXPECT_EQ(r.value->storage, "postgresql://flag@h/db");  // the flag wins
}

TEST(storage_settings, anything_else_is_refused_naming_the_key) {
  expect_error(load_text("storage = \"mysql://x@h/db\"\n"), "storage", "postgresql://");
  expect_error(load_text("storage = \"postgresql://\"\n"), "storage", "host");
  expect_error(load_text("storage = \"postgresql:///db\"\n"), "storage", "host");
  expect_error(load_env({{"PAYORCH_STORAGE", "postgresql://u@h/d b"}}), "storage", "spaces");
  expect_error(load_text("[journal]\nmigrations = \"maybe\"\n"), "journal.migrations", "apply");
}

TEST(storage_settings, printed_configuration_never_shows_the_password) {
  auto s = loaded(load_text("storage = \"postgresql://payorch:s3cret@db:5432/pay\"\n"));
  const auto text = to_toml(s);
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
  EXPECT_NE(text.find("postgresql://payorch:***@db:5432/pay"), std::string::npos) << text;
}

// Goal: a password given as a URI parameter is hidden too, and a refused storage value is echoed
// without its password.
TEST(storage_settings, no_password_is_ever_printed) {
  auto s = loaded(load_text(
      "storage = \"postgresql://payorch@db:5432/pay?sslmode=disable&password=s3cret&x=1\"\n"));
  const auto text = to_toml(s);
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
  EXPECT_NE(text.find("?sslmode=disable&password=***&x=1"), std::string::npos) << text;
  auto refused = load_env({{"PAYORCH_STORAGE", "postgresql://u:s3cret@db/pay?password=s3cret\n"}});
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_EQ(refused.error->line().find("s3cret"), std::string::npos) << refused.error->line();
  EXPECT_NE(refused.error->line().find("storage"), std::string::npos) << refused.error->line();
}

// Goal: only passwords are hidden: a user or a path that merely contains "password=" and an
// `@` inside the query keep the rest of the URI readable.
TEST(storage_settings, hiding_the_password_keeps_the_rest) {
  const auto shown = [](const std::string& uri) {
    auto s = loaded(load_text("storage = \"" + uri + "\"\n"));
    return to_toml(s);
  };
  EXPECT_NE(shown("postgresql://u@h/mypassword=db?sslmode=require")
                .find("postgresql://u@h/mypassword=db?sslmode=require"),
            std::string::npos);
  EXPECT_NE(shown("postgresql://h:5432/db?application_name=a@b")
                .find("postgresql://h:5432/db?application_name=a@b"),
            std::string::npos);
  // libpq gives '#' no meaning: it is part of the password's value, hidden with it.
  EXPECT_NE(shown("postgresql://u:pw@h:5432/db?x=1&password=pw2#f")
                .find("postgresql://u:***@h:5432/db?x=1&password=***\""),
            std::string::npos);
}

// Goal: secrets are hidden however libpq would read them: a parameter name written with %XX
// escapes, the TLS key's passphrase (sslpassword), and in a refused keyword = value string a
// quoted value with spaces, spaces around '=', or a quote that never ends.
TEST(storage_settings, secrets_are_hidden_in_every_form_libpq_reads) {
  auto s = loaded(load_text(
      "storage = \"postgresql://u@db/pay?passw%6Frd=s3cret&sslpassword=k3y&sslmode=require\"\n"));
  const auto text = to_toml(s);
  EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
  EXPECT_EQ(text.find("k3y"), std::string::npos) << text;
  EXPECT_NE(text.find("?passw%6Frd=***&sslpassword=***&sslmode=require"), std::string::npos)
      << text;

  // As libpq reads a URI: credentials up to the first '@' before a '/', even with '?' or '#' in
  // the password, and parameters to the end of the string ('#' means nothing there).
  const auto shown = [](const std::string& uri) {
    return to_toml(loaded(load_text("storage = \"" + uri + "\"\n")));
  };
  EXPECT_NE(shown("postgresql://app:s3?cret@db/pay").find("postgresql://app:***@db/pay"),
            std::string::npos);
  EXPECT_NE(shown("postgresql://app:s3#cret@db/pay").find("postgresql://app:***@db/pay"),
            std::string::npos);
  const auto fragment = shown("postgresql://u@db/pay?sslmode=require#&password=s3cret");
  EXPECT_EQ(fragment.find("s3cret"), std::string::npos) << fragment;
  EXPECT_NE(fragment.find("?sslmode=require#&password=***"), std::string::npos) << fragment;

  // The parameters start at the first '?' outside an IPv6 host's brackets.
  const auto bracketed = shown("postgresql://[::1?]:5432/pay?password=s3cret");
  EXPECT_EQ(bracketed.find("s3cret"), std::string::npos) << bracketed;
  EXPECT_NE(bracketed.find("[::1?]:5432/pay?password=***"), std::string::npos) << bracketed;
  // A '[' that opens no bracketed host (unclosed, or in the database's name) hides nothing.
  for (const std::string uri :
       {"postgresql://db/pay[x?password=s3cret", "postgresql://[::1/pay?password=s3cret"}) {
    const auto text = shown(uri);
    EXPECT_EQ(text.find("s3cret"), std::string::npos) << text;
    EXPECT_NE(text.find("?password=***"), std::string::npos) << text;
  }

  // A refused value that looks like another URI hides its password all the same.
  for (const std::string uri :
       {"POSTGRESQL://app:s3cret@db/pay", "postgresql+psycopg://app:s3cret@db/pay",
        "jdbc:postgresql://app:s3cret@db/pay"}) {
    auto refused = load_env({{"PAYORCH_STORAGE", uri}});
    ASSERT_TRUE(refused.error.has_value()) << uri;
    const auto line = refused.error->line();
    EXPECT_EQ(line.find("s3cret"), std::string::npos) << line;
    EXPECT_NE(line.find("app:***@db/pay"), std::string::npos) << line;
  }

  for (const std::string conninfo :
       {"host=db password = 's3 \\' cret' user=app", "host=db  password=s3cret user=app",
        "host=db user=app password='s3cret", "host=db user=app = password=s3cret",
        "host=db password=s3://cret user=app", "host=db password=s3\\ cret user=app"}) {
    auto refused = load_env({{"PAYORCH_STORAGE", conninfo}});
    ASSERT_TRUE(refused.error.has_value()) << conninfo;
    const auto line = refused.error->line();
    EXPECT_EQ(line.find("s3"), std::string::npos) << line;
    EXPECT_EQ(line.find("cret"), std::string::npos) << line;
    EXPECT_NE(line.find("host=db"), std::string::npos) << line;
  }
  auto refused = load_env({{"PAYORCH_STORAGE", "host=db password = 'x' user=app"}});
  ASSERT_TRUE(refused.error.has_value());
  EXPECT_NE(refused.error->line().find("host=db password = *** user=app"), std::string::npos)
      << refused.error->line();
}

TEST(storage_settings, check_only_migrations_can_be_chosen) {
  auto s = loaded(load_env({{"PAYORCH_JOURNAL_MIGRATIONS", "check"}}));
  EXPECT_FALSE(s.journal_apply_migrations);
}

}  // namespace
}  // namespace payorch::config::test
