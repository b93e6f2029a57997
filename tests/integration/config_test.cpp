/// The executable's configuration: bad values stop it with one line, and the listen address
/// follows the precedence flag > environment > file.

#include <sstream>

#include "tests/integration/integration_support.hpp"

namespace payorch::testing {
namespace {

class config_cli : public integration_test {
 protected:
  /// Starts serve with `o`, expects `path` to answer 200, then stops it (exit 0); the stopped
  /// process (its log still readable), or null if it did not start.
  payorch_process* serves(process_options o, const std::string& path = "/healthz") {
    auto* server = start(std::move(o));
    EXPECT_NE(server, nullptr);
    if (server == nullptr) return nullptr;
    EXPECT_EQ(http_get(server->port(), path).status, 200);
    EXPECT_EQ(server->stop(), 0);
    return server;
  }

  /// Runs `payorch config` with `args`, a config file holding `toml` (if any) and `env`.
  run_result run_config(std::vector<std::string> args, const std::string& toml = {},
                        const env_list& env = {}) {
    std::vector<std::string> all{"config"};
    if (!toml.empty()) {
      auto file = dir_.file("payorch.toml");
      EXPECT_TRUE(write_text(file, toml));
      all.insert(all.end(), {"--config", file.string()});
    }
    all.insert(all.end(), args.begin(), args.end());
    return run_payorch(payorch_binary(), all, env, dir_.path());
  }

  /// Checks a refusal: non-zero exit, nothing on stdout, one stderr line naming `key`.
  static void expect_one_line_naming(const run_result& r, const std::string& key) {
    EXPECT_NE(r.exit_code, 0);
    EXPECT_EQ(r.out, "");
    ASSERT_FALSE(r.err.empty());
    EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
    EXPECT_NE(r.err.find(key), std::string::npos) << r.err;
  }

  temp_dir dir_{"payorch-config"};
};

// Goal: an out-of-range file value exits non-zero with one stderr line naming the key.
TEST_F(config_cli, bad_file_value_names_the_key) {
  expect_one_line_naming(run_config({}, "[http]\nrequest_timeout_ms = 5\n"),
                         "http.request_timeout_ms");
  expect_one_line_naming(run_config({}, "[http]\nmax_body_bytes = \"big\"\n"),
                         "http.max_body_bytes");
  expect_one_line_naming(run_config({}, "[journal]\nsynchronous = \"sometimes\"\n"),
                         "journal.synchronous");
  expect_one_line_naming(run_config({}, "[http]\nno_such_key = 1\n"), "http.no_such_key");
}

// Goal: a bad environment value or flag is refused the same way, naming the key.
TEST_F(config_cli, bad_env_or_flag_value_names_the_key) {
  expect_one_line_naming(run_config({}, {}, {{"PAYORCH_HTTP_MAX_HEADER_COUNT", "7"}}),
                         "http.max_header_count");
  expect_one_line_naming(run_config({}, {}, {{"PAYORCH_LOG_LEVEL", "loud"}}), "log.level");
  expect_one_line_naming(run_config({"--listen", "nowhere"}), "listen");
}

// Goal: a good configuration prints as TOML and exits 0.
TEST_F(config_cli, good_configuration_prints_and_exits_0) {
  auto r = run_config({}, "[http]\nmax_body_bytes = 2048\n");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("max_body_bytes = 2048"), std::string::npos) << r.out;
}

// Goal: --listen beats PAYORCH_LISTEN, which beats the file, which beats the default.
TEST_F(config_cli, listen_precedence_is_flag_then_env_then_file) {
  const std::string file = "listen = \"127.0.0.1:1111\"\n";
  const env_list env{{"PAYORCH_LISTEN", "127.0.0.1:2222"}};
  auto listen_of = [](const run_result& r) {
    EXPECT_EQ(r.exit_code, 0) << r.err;
    auto at = r.out.find("\nlisten = ");
    return at == std::string::npos ? std::string()
                                   : r.out.substr(at + 1, r.out.find('\n', at + 1) - at - 1);
  };
  EXPECT_EQ(listen_of(run_config({})), "listen = \"127.0.0.1:8080\"");
  EXPECT_EQ(listen_of(run_config({}, file)), "listen = \"127.0.0.1:1111\"");
  EXPECT_EQ(listen_of(run_config({}, file, env)), "listen = \"127.0.0.1:2222\"");
  EXPECT_EQ(listen_of(run_config({"--listen", "127.0.0.1:3333"}, file, env)),
            "listen = \"127.0.0.1:3333\"");
}

// Goal: serve itself obeys the precedence: it listens where the env says, not where the file
// says (an address it could never bind), and where the flag says, not where the env says.
TEST_F(config_cli, serve_listens_on_the_winning_address) {
  process_options env_wins;
  env_wins.listen = listen_source::env;
  env_wins.config_toml = "listen = \"192.0.2.1:8080\"\n";  // TEST-NET-1: never local
  serves(env_wins);

  process_options flag_wins;
  flag_wins.env = {{"PAYORCH_LISTEN", "192.0.2.1:8080"}};
  serves(flag_wins);

  process_options file_only;
  file_only.listen = listen_source::config_file;
  serves(file_only);
}

// Goal: every value a setting's documented range allows starts the server: a first settlement
// retry wait above the usual 30 s cap (up to an hour) is taken as the cap.
TEST_F(config_cli, serve_takes_a_long_settlement_retry_backoff) {
  process_options o;
  o.env = {{"PAYORCH_SETTLEMENT_RETRY_BACKOFF_MS", "3600000"}};
  serves(o, "/readyz");
}

// Goal: JSON log lines stay valid JSON whatever their message holds: here the data directory's
// name, with a quote and a backslash, in the line saying where the credentials are.
TEST_F(config_cli, json_log_lines_escape_their_message) {
  process_options o;
  o.data_dir = dir_.file("data \"quoted\" \\ dir");
  o.env = {{"PAYORCH_LOG_FORMAT", "json"}};
  auto* server = serves(o);
  ASSERT_NE(server, nullptr);
  const std::string log = server->log();
  ASSERT_NE(log.find("quoted"), std::string::npos) << log;
  std::istringstream lines(log);
  int parsed = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    EXPECT_FALSE(ec) << line;
    EXPECT_TRUE(!ec && v.is_object() && v.as_object().contains("msg")) << line;
    ++parsed;
  }
  EXPECT_GT(parsed, 0);
}

// Goal: a second serve on a data directory a running one holds stops before it writes anything
// there: here, it does not make a new one-time password key in place of the one removed under
// the first (two starting at once on a fresh directory would otherwise each make their keys).
TEST_F(config_cli, a_second_serve_on_a_held_data_dir_writes_nothing) {
  process_options o;
  o.data_dir = dir_.file("held");
  auto* first = start(o);
  ASSERT_NE(first, nullptr);
  const auto key = o.data_dir / "otp.key";
  ASSERT_TRUE(std::filesystem::exists(key));
  std::filesystem::remove(key);
  auto second = run_payorch(payorch_binary(),
                            {"serve", "--data-dir", o.data_dir.string(), "--listen",
                             "127.0.0.1:" + std::to_string(pick_free_port())},
                            {}, dir_.path());
  EXPECT_NE(second.exit_code, 0);
  EXPECT_NE(second.err.find("in use by another payorch process"), std::string::npos) << second.err;
  EXPECT_FALSE(std::filesystem::exists(key)) << "the second serve made a key under the first";
  EXPECT_EQ(first->stop(), 0);
}

// Goal: serve refuses a bad configuration before it listens (non-zero exit, key named).
TEST_F(config_cli, serve_with_a_bad_value_exits_nonzero) {
  auto file = dir_.file("bad.toml");
  ASSERT_TRUE(write_text(file, "[actors]\nthreads = 0\n"));
  auto r = run_payorch(payorch_binary(),
                       {"serve", "--config", file.string(), "--data-dir", dir_.file("d").string(),
                        "--listen", "127.0.0.1:" + std::to_string(pick_free_port())},
                       {}, dir_.path());
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find("actors.threads"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("d") / "journal.sqlite"));
}

}  // namespace
}  // namespace payorch::testing
