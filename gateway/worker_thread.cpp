#include "gateway/worker_thread.hpp"

namespace payorch::gateway {

worker_thread::worker_thread(std::size_t max_pending)
    : max_pending_(max_pending), thread_([this] { run(); }) {}

worker_thread::~worker_thread() {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    stopping_ = true;
    jobs_.clear();
  }
  wake_.notify_one();
  thread_.join();
}

bool worker_thread::post(std::function<void()> job) {
  {
    std::lock_guard<std::mutex> guard{mutex_};
    if (stopping_ || jobs_.size() >= max_pending_) return false;
    jobs_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

void worker_thread::run() {
  while (true) {
    std::function<void()> job;
    {
      std::unique_lock<std::mutex> lock{mutex_};
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (stopping_) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace payorch::gateway
