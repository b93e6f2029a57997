#include "app/sandbox/faults.hpp"

#include "gateway/json_output.hpp"

namespace payorch::app::sandbox {
namespace {

seeded_stream stream_for(std::uint64_t seed, provider p) {
  return seeded_stream(mix64(seed ^ (0xFA17ULL << 32) ^ (index_of(p) + 1)));
}

}  // namespace

fault_plan::fault_plan(const sandbox_options& options, clock::time_point now)
    : streams_{
          stream_for(options.seed, provider::fx),        stream_for(options.seed, provider::kyc),
          stream_for(options.seed, provider::sanctions), stream_for(options.seed, provider::risk),
          stream_for(options.seed, provider::rail),      stream_for(options.seed, provider::psp)} {
  for (auto& s : settings_) {
    s.latency_ms = options.latency_ms;
    s.error_rate_bp = options.error_rate_bp;
    s.timeout_rate_bp = options.timeout_rate_bp;
    s.hang_ms = options.hang_ms;
    s.outage_until = now + std::chrono::milliseconds(options.outage_ms);
    s.duplicate_callbacks = options.duplicate_callbacks;
    s.out_of_order_callbacks = options.out_of_order_callbacks;
  }
}

fault_decision fault_plan::draw(provider p, clock::time_point now) {
  const auto& s = settings(p);
  auto& stream = streams_[index_of(p)];
  const auto error_roll = static_cast<std::int64_t>(stream.below(10000));
  const auto timeout_roll = static_cast<std::int64_t>(stream.below(10000));
  fault_decision d;
  d.delay = std::chrono::milliseconds(s.latency_ms);
  if (now < s.outage_until) {
    d.what = fault_decision::kind::outage;
  } else if (error_roll < s.error_rate_bp) {
    d.what = fault_decision::kind::error;
  } else if (timeout_roll < s.timeout_rate_bp) {
    d.what = fault_decision::kind::hang;
    d.delay += std::chrono::milliseconds(s.hang_ms);
  }
  return d;
}

void fault_plan::clear() {
  for (auto& s : settings_) s = fault_settings{};
}

std::string fault_plan::to_json(clock::time_point now) const {
  gateway::json_writer w;
  w.begin_object();
  for (auto p : all_providers) {
    const auto& s = settings(p);
    const auto remaining =
        now < s.outage_until
            ? std::chrono::ceil<std::chrono::milliseconds>(s.outage_until - now).count()
            : 0;
    w.key(name_of(p)).begin_object();
    w.field("latency_ms", s.latency_ms)
        .field("error_rate_bp", s.error_rate_bp)
        .field("timeout_rate_bp", s.timeout_rate_bp)
        .field("hang_ms", s.hang_ms)
        .field("outage_remaining_ms", static_cast<std::int64_t>(remaining));
    w.key("duplicate_callbacks").boolean(s.duplicate_callbacks);
    w.key("out_of_order_callbacks").boolean(s.out_of_order_callbacks);
    w.end_object();
  }
  w.end_object();
  return w.take();
}

}  // namespace payorch::app::sandbox
