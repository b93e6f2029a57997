#pragma once
/// A tiny loopback HTTP/1.1 server that records the callbacks the sandbox posts.
///
/// One background thread polls the listening socket and every connection (keep-alive, so the
/// sandbox's pooled client can send several requests on one), answers each request with the
/// next status of a script (default 200) and records it. Tests wait for what they expect with
/// `wait_for`, a condition-variable wait bounded by a deadline: never a sleep.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace payorch::testing {

/// One request the receiver got.
struct received_callback {
  std::string method;
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int answered = 0;  ///< the status it was answered with

  /// The first header named `name` (case-insensitive), or "".
  std::string header(std::string_view name) const;
};

class callback_receiver {
 public:
  /// Listens on 127.0.0.1 on a port the kernel picks.
  callback_receiver();
  ~callback_receiver();
  callback_receiver(const callback_receiver&) = delete;
  callback_receiver& operator=(const callback_receiver&) = delete;

  std::uint16_t port() const { return port_; }
  /// "http://127.0.0.1:P/callbacks/<name>".
  std::string url(std::string_view name = "hook") const;

  /// The statuses the next requests are answered with, in order; 200 once they are used up.
  void script(std::vector<int> statuses);

  /// Waits until `done(received so far)` holds or `bound` passes; the callbacks at that moment.
  std::vector<received_callback> wait_for(
      const std::function<bool(const std::vector<received_callback>&)>& done,
      std::chrono::milliseconds bound = std::chrono::seconds(10));

  /// Everything received so far.
  std::vector<received_callback> received();

 private:
  void run();

  int listen_fd_ = -1;
  int wake_pipe_[2] = {-1, -1};
  std::uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<received_callback> received_;
  std::deque<int> script_;
  std::thread thread_;
};

}  // namespace payorch::testing
