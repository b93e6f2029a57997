// The PostgreSQL store's connection watchdog on a loopback TCP connection of its own: a call that
// keeps hearing from its peer is never cut off, however long it runs; one that hears nothing for
// longer than the limit is.
#include "persistence/postgres/pg_watchdog.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace payorch::persistence::postgres {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

/// A connected pair of loopback TCP sockets.
struct tcp_pair {
  int client = -1;
  int server = -1;
  tcp_pair() {
    const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    if (::bind(listener, reinterpret_cast<sockaddr*>(&addr), size) != 0 ||
        ::listen(listener, 1) != 0 ||
        ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &size) != 0) {
      ::close(listener);
      return;
    }
    client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (::connect(client, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      server = ::accept(listener, nullptr, nullptr);
    ::close(listener);
  }
  ~tcp_pair() {
    if (client >= 0) ::close(client);
    if (server >= 0) ::close(server);
  }
};

// Goal: while the peer keeps sending, a call armed for three times the limit is left alone; when
// the peer falls silent (its connection still open), the blocked read is cut off within about
// the limit, as a frozen server's would be.
TEST(connection_watchdog, cuts_off_only_a_silent_call) {
  tcp_pair pair;
  ASSERT_GE(pair.server, 0);
  constexpr milliseconds limit{150};
  connection_watchdog watchdog(limit);
  std::atomic<long> sent{0};
  std::thread peer([&] {
    // Talks for three limits, a byte at a time, then stays connected and says nothing.
    const auto until = steady_clock::now() + 3 * limit;
    while (steady_clock::now() < until) {
      const char byte = 'x';
      if (::send(pair.server, &byte, 1, MSG_NOSIGNAL) == 1) ++sent;
    }
  });
  long received = 0;
  ssize_t last = 0;
  {
    const auto watched = watchdog.arm(pair.client);
    char buffer[4096];
    while ((last = ::recv(pair.client, buffer, sizeof buffer, 0)) > 0) received += last;
  }
  peer.join();
  EXPECT_EQ(received, sent.load()) << "the call was cut off while it still heard its peer";
  EXPECT_LE(last, 0);
  EXPECT_EQ(watchdog.cut_off(), 1U);
}

// Goal: a call that returns in time is never cut off later, and the watchdog holds no descriptor
// of a call that ended (so a reused number is never shut down).
TEST(connection_watchdog, a_finished_call_is_left_alone) {
  tcp_pair pair;
  ASSERT_GE(pair.server, 0);
  connection_watchdog watchdog(milliseconds(50));
  { const auto watched = watchdog.arm(pair.client); }
  // Past the limit with nothing armed: the peer can still talk to the client.
  const auto until = steady_clock::now() + milliseconds(200);
  while (steady_clock::now() < until) std::this_thread::yield();
  const char byte = 'y';
  ASSERT_EQ(::send(pair.server, &byte, 1, MSG_NOSIGNAL), 1);
  char got = 0;
  EXPECT_EQ(::recv(pair.client, &got, 1, 0), 1);
  EXPECT_EQ(got, 'y');
  EXPECT_EQ(watchdog.cut_off(), 0U);
}

}  // namespace
}  // namespace payorch::persistence::postgres
