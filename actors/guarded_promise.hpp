#pragma once
/// A response promise that answers `entity_unavailable` if it is dropped undelivered.
///
/// CAF 0.17 silently forgets a promise whose actor dies before delivering it, so the requester
/// would wait forever. Promises payorch's actors hold are wrapped in this guard: when the last
/// copy goes (the actor stopped, its pending handlers were destroyed), the requester still gets
/// an answer. That is what lets requests to entities go without a CAF timeout each.

#include <caf/typed_response_promise.hpp>
#include <memory>
#include <string>
#include <utility>

#include "actors/errors.hpp"

namespace payorch::actors {

template <class T>
class guarded_promise {
 public:
  guarded_promise() = default;
  explicit guarded_promise(caf::typed_response_promise<T> promise)
      : state_(std::make_shared<guard>(std::move(promise))) {}

  /// Delivers a value or an error; later deliveries through any copy are ignored.
  template <class U>
  void deliver(U&& x) {
    if (!state_ || state_->delivered) return;
    state_->delivered = true;
    state_->promise.deliver(std::forward<U>(x));
  }

  bool pending() const { return state_ && !state_->delivered; }

 private:
  struct guard {
    explicit guard(caf::typed_response_promise<T> p) : promise(std::move(p)) {}
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
    ~guard() {
      if (!delivered && promise.pending())
        promise.deliver(
            make_failure(errc::entity_unavailable, "the actor stopped before answering"));
    }
    caf::typed_response_promise<T> promise;
    bool delivered = false;
  };
  std::shared_ptr<guard> state_;
};

}  // namespace payorch::actors
