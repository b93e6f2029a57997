#include "app/sandbox/state.hpp"

#include <boost/asio/steady_timer.hpp>

#include "app/sandbox/callbacks.hpp"
#include "domain/ids.hpp"
#include "gateway/json_output.hpp"

namespace payorch::app::sandbox {

sandbox_state::sandbox_state(boost::asio::io_context& ioc, sandbox_options options)
    : ioc_(ioc),
      options_(std::move(options)),
      ids_(mix64(options_.seed ^ 0x1D5ULL)),
      faults_(options_, std::chrono::steady_clock::now()) {
  callbacks_ =
      std::make_unique<callback_sender>(ioc_, options_.webhook_secret, faults_,
                                        [this](provider p) -> provider_stats& { return stats(p); });
}

sandbox_state::~sandbox_state() = default;

std::int64_t sandbox_state::now_ms() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() +
         clock_offset_ms_;
}

std::string sandbox_state::new_id(std::string_view prefix) {
  return detail::prefixed_hex16(prefix, ids_.next());
}

void sandbox_state::after(std::chrono::milliseconds delay, std::function<void()> f) {
  auto timer = std::make_shared<boost::asio::steady_timer>(ioc_, delay);
  timer->async_wait([timer, f = std::move(f)](auto ec) {
    if (!ec) f();
  });
}

void sandbox_state::send_callback(provider from, std::string url, std::string webhook_id,
                                  std::string body) {
  if (url.empty()) return;
  callbacks_->send({from, std::move(url), std::move(webhook_id), std::move(body)});
}

std::string sandbox_state::stats_json() const {
  gateway::json_writer w;
  w.begin_object().key("providers").begin_object();
  for (auto p : all_providers) {
    const auto& s = stats_[index_of(p)];
    w.key(name_of(p)).begin_object();
    w.field("calls", s.calls)
        .field("injected_errors", s.injected_errors)
        .field("outage_rejections", s.outage_rejections)
        .field("injected_timeouts", s.injected_timeouts)
        .field("replays", s.replays)
        .field("callback_attempts", s.callback_attempts)
        .field("callbacks_sent", s.callbacks_sent)
        .field("callbacks_failed", s.callbacks_failed);
    w.end_object();
  }
  w.end_object().key("rail_submissions").begin_object();
  for (const auto& [end_to_end_id, s] : rail_submissions_.entries()) {
    w.key(end_to_end_id).begin_object();
    w.field("submissions", s.submissions)
        .field("accepted", s.accepted)
        .field("refused_duplicates", s.refused_duplicates);
    w.end_object();
  }
  w.end_object().end_object();
  return w.take();
}

}  // namespace payorch::app::sandbox
