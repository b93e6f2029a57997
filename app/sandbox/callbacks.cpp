#include "app/sandbox/callbacks.hpp"

#include <boost/asio/io_context.hpp>

#include "adapters/webhook_signature.hpp"
#include "app/sandbox/state.hpp"

namespace payorch::app::sandbox {
namespace {

std::int64_t unix_now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

callback_sender::callback_sender(boost::asio::io_context& ioc, std::string secret,
                                 fault_plan& faults, stats_of stats)
    : ioc_(ioc),
      secret_(std::move(secret)),
      faults_(faults),
      stats_(std::move(stats)),
      client_(ioc) {}

void callback_sender::send(callback c) {
  const provider p = c.from;
  auto next = std::make_shared<const callback>(std::move(c));
  if (!faults_.settings(p).out_of_order_callbacks) return dispatch(std::move(next), {});
  auto& slot = held_[index_of(p)];
  if (slot) {
    // The newer callback overtakes the held one, which follows once the newer one was tried.
    auto older = std::move(slot->held);
    slot.reset();
    return dispatch(std::move(next), [this, older] { dispatch(older, {}); });
  }
  slot.emplace();
  slot->held = std::move(next);
  slot->generation = ++generations_;
  slot->timer = std::make_unique<boost::asio::steady_timer>(ioc_, out_of_order_hold);
  slot->timer->async_wait([this, p, generation = slot->generation](auto ec) {
    if (!ec) release_held(p, generation);
  });
}

void callback_sender::release_held(provider p, std::uint64_t generation) {
  auto& slot = held_[index_of(p)];
  // A successor may have taken the held callback while this wait was already queued.
  if (!slot || slot->generation != generation) return;
  auto older = std::move(slot->held);
  slot.reset();
  dispatch(std::move(older), {});
}

void callback_sender::dispatch(std::shared_ptr<const callback> c, std::function<void()> then) {
  if (!faults_.settings(c->from).duplicate_callbacks) return attempt(std::move(c), 0, then);
  attempt(c, 0, [this, c, then] { attempt(c, 0, then); });
}

void callback_sender::attempt(std::shared_ptr<const callback> c, int retry,
                              std::function<void()> first_done) {
  ++stats_(c->from).callback_attempts;
  adapters::http_call call;
  call.method = "POST";
  call.url = c->url;
  const auto now_s = unix_now_s();
  call.headers = {
      {"Content-Type", "application/json"},
      {"webhook-id", c->webhook_id},
      {"webhook-timestamp", std::to_string(now_s)},
      {"webhook-signature", adapters::sign_webhook(secret_, c->webhook_id, now_s, c->body)}};
  call.body = c->body;
  client_.send(std::move(call), [this, c, retry, first_done](adapters::http_answer answer) {
    const bool delivered = answer.status >= 200 && answer.status < 300;
    if (delivered) {
      ++stats_(c->from).callbacks_sent;
    } else if (retry < callback_max_retries) {
      auto timer =
          std::make_shared<boost::asio::steady_timer>(ioc_, callback_first_backoff * (1 << retry));
      timer->async_wait([this, c, retry, timer](auto ec) {
        if (!ec) attempt(c, retry + 1, {});
      });
    } else {
      ++stats_(c->from).callbacks_failed;
    }
    if (first_done) first_done();
  });
}

}  // namespace payorch::app::sandbox
