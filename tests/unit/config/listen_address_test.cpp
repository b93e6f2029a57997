#include <gtest/gtest.h>

#include "config/key_table.hpp"
#include "config_test_support.hpp"

namespace payorch::config {
namespace {

using test::expect_error;
using test::load_env;
using test::load_text;
using test::loaded;

listen_address parsed(std::string_view text) {
  auto result = detail::parse_listen_address(text);
  if (auto* problem = std::get_if<std::string>(&result)) {
    ADD_FAILURE() << text << ": " << *problem;
    return {};
  }
  return std::get<listen_address>(result);
}

std::string problem(std::string_view text) {
  auto result = detail::parse_listen_address(text);
  if (auto* message = std::get_if<std::string>(&result)) return *message;
  ADD_FAILURE() << text << " was accepted";
  return {};
}

// Goal: host names, IPv4 and bracketed IPv6 addresses with a port in range are accepted.
TEST(listen_address, good_addresses_parse) {
  EXPECT_EQ(parsed("127.0.0.1:8080"), (listen_address{"127.0.0.1", 8080}));
  EXPECT_EQ(parsed("0.0.0.0:1"), (listen_address{"0.0.0.0", 1}));
  EXPECT_EQ(parsed("localhost:65535"), (listen_address{"localhost", 65535}));
  EXPECT_EQ(parsed("node-1.payorch_internal:443"),
            (listen_address{"node-1.payorch_internal", 443}));
  EXPECT_EQ(parsed("[::1]:8080"), (listen_address{"::1", 8080}));
  EXPECT_EQ(parsed("[::]:80"), (listen_address{"::", 80}));
  EXPECT_EQ(parsed("[fe80::1%eth0]:80"), (listen_address{"fe80::1%eth0", 80}));
  EXPECT_EQ(parsed("[::ffff:10.0.0.1]:80"), (listen_address{"::ffff:10.0.0.1", 80}));
}

// Goal: a missing or out-of-range port is refused, naming the valid range.
TEST(listen_address, bad_ports_are_refused) {
  for (std::string_view bad : {"host:0", "host:70000", "host:65536", "host:-1", "host:", "host:80x",
                               "host: 80", "host:+80", "[::1]:0", "[::1]:"}) {
    EXPECT_EQ(problem(bad), "must have a port between 1 and 65535") << bad;
  }
}

// Goal: text without the HOST:PORT shape is refused with an example of the shape.
TEST(listen_address, bad_shapes_are_refused) {
  for (std::string_view bad : {"", "host", "8080", "[::1]", "[::1]8080", "[::1:8080"}) {
    EXPECT_NE(problem(bad).find("HOST:PORT"), std::string::npos) << bad;
  }
  EXPECT_NE(problem(":8080").find("must name a host"), std::string::npos);
  EXPECT_NE(problem("::1:8080").find("in brackets"), std::string::npos);
  EXPECT_NE(problem("[]:8080").find("IPv6 address"), std::string::npos);
  EXPECT_NE(problem("[nothost]:80").find("IPv6 address"), std::string::npos);
  EXPECT_NE(problem("[fe80::1%]:80").find("IPv6 address"), std::string::npos);
  EXPECT_NE(problem("ho st:80").find("letters, digits"), std::string::npos);
  EXPECT_NE(problem("a/b:80").find("letters, digits"), std::string::npos);
  EXPECT_NE(problem(std::string(254, 'a') + ":80").find("at most 253"), std::string::npos);
}

// Goal: to_string writes what the parser reads, brackets included for IPv6.
TEST(listen_address, to_string_round_trips) {
  for (std::string_view text : {"127.0.0.1:8080", "[::1]:8080", "[fe80::1%eth0]:1", "x:65535"}) {
    EXPECT_EQ(to_string(parsed(text)), text);
  }
}

// Goal: the loader reports listen errors under the key `listen`, from file and environment.
TEST(listen_address, loader_names_the_key) {
  EXPECT_EQ(loaded(load_env({{"PAYORCH_LISTEN", "[::1]:8080"}})).listen,
            (listen_address{"::1", 8080}));
  expect_error(load_text("listen = \"host\"\n"), "listen", "must be HOST:PORT");
  expect_error(load_text("listen = \"host:0\"\n"), "listen", "(got \"host:0\" in ");
  expect_error(load_env({{"PAYORCH_LISTEN", "host:70000"}}), "listen",
               "must have a port between 1 and 65535 (got \"host:70000\" from PAYORCH_LISTEN)");
  expect_error(load_text("listen = 8080\n"), "listen", "must be a string (HOST:PORT)");
}

}  // namespace
}  // namespace payorch::config
