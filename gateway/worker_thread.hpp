#pragma once
/// One background thread running jobs in arrival order from a bounded queue: CPU-heavy work
/// (PBKDF2 secret checks) that must not hold up an Asio thread.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace payorch::gateway {

class worker_thread {
 public:
  /// Starts the thread; at most `max_pending` jobs wait at any time.
  explicit worker_thread(std::size_t max_pending);

  /// Drops the jobs still waiting, lets the running one finish, and joins the thread.
  ~worker_thread();

  worker_thread(const worker_thread&) = delete;
  worker_thread& operator=(const worker_thread&) = delete;

  /// Queues `job`; false (and the job is not run) when the queue is full.
  bool post(std::function<void()> job);

 private:
  void run();

  std::size_t max_pending_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace payorch::gateway
