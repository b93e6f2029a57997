#pragma once
/// The saga engine on the deterministic actor fixture: a scriptable fake provider, a journal
/// backend that can "crash the process" right before or after a chosen append, a clock that
/// moves with CAF's virtual time, and a saga manager that is spawned again after every restart.

#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sagas/saga_manager.hpp"
#include "tests/support/actor_fixture.hpp"

namespace payorch::testing {

/// How the fake provider answers one call.
enum class reply { succeed, fail_retryable, fail_final, hold, answer_twice };

/// A provider that honours idempotency keys (one effect per key, like a real one) and records
/// every call, so a step that ran under two keys ("paid twice") shows up as two effects.
class fake_provider {
 public:
  /// Queues answers for the next calls of `label` (a step name, "step:compensate" or
  /// "step:timeout"); once they are used up, `sticky(label)` answers (succeed by default).
  void script(const std::string& label, std::vector<reply> replies) {
    auto& q = scripts_[label];
    q.insert(q.end(), replies.begin(), replies.end());
  }
  void sticky(const std::string& label, reply r) { sticky_[label] = r; }

  /// The action (or compensation) the definition calls for `label`.
  sagas::action_fn action(std::string label, std::shared_ptr<fake_provider> self) {
    return [self, label](const sagas::step_context& ctx, sagas::step_done done) {
      self->call(label, ctx, std::move(done));
    };
  }

  std::map<std::string, int> calls;    ///< by idempotency key
  std::map<std::string, int> effects;  ///< by idempotency key: 1 once the effect happened
  std::vector<std::string> log;        ///< idempotency keys in call order
  std::vector<sagas::step_context> contexts;
  std::vector<sagas::step_done> held;  ///< answers of `hold` calls, for the test to give

  int calls_of(const std::string& key) const {
    auto i = calls.find(key);
    return i == calls.end() ? 0 : i->second;
  }

 private:
  reply next(const std::string& label) {
    auto& q = scripts_[label];
    if (!q.empty()) {
      auto r = q.front();
      q.pop_front();
      return r;
    }
    auto s = sticky_.find(label);
    return s == sticky_.end() ? reply::succeed : s->second;
  }

  void call(const std::string& label, const sagas::step_context& ctx, sagas::step_done done) {
    auto key = ctx.idempotency_key();
    ++calls[key];
    log.push_back(key);
    contexts.push_back(ctx);
    auto output = "{\"key\":\"" + key + "\"}";
    switch (next(label)) {
      case reply::succeed:
        effects[key] = 1;
        return done(sagas::step_outcome::succeeded(output));
      case reply::fail_retryable:
        return done(sagas::step_outcome::retryable_failure(label + " is busy"));
      case reply::fail_final:
        return done(sagas::step_outcome::final_failure(label + " refused"));
      case reply::hold:
        effects[key] = 1;  // it acted; the answer is what gets lost
        held.push_back(std::move(done));
        return;
      case reply::answer_twice:
        effects[key] = 1;
        done(sagas::step_outcome::succeeded(output));
        return done(sagas::step_outcome::final_failure("a second answer"));
    }
  }

  std::map<std::string, std::deque<reply>> scripts_;
  std::map<std::string, reply> sticky_;
};

/// An inline backend that stops answering appends at a chosen point, as a process that died
/// there would: after an append matching `crash_after` committed, or instead of one matching
/// `crash_before`. Reads still work (a restart opens the file again anyway).
class crashing_backend final : public actors::journal_backend {
 public:
  using predicate = std::function<bool(const persistence::append_request&)>;
  explicit crashing_backend(std::shared_ptr<actors::journal_backend> inner)
      : inner_(std::move(inner)) {}

  void submit(persistence::append_request req,
              std::function<void(persistence::append_result)> done) override {
    if (crashed || (crash_before && crash_before(req))) {
      crashed = true;
      hung.push_back(std::move(done));
      return;
    }
    const bool last = crash_after && crash_after(req);
    inner_->submit(std::move(req),
                   [this, last, done = std::move(done)](persistence::append_result r) {
                     if (last && r.status == persistence::append_status::committed) crashed = true;
                     done(std::move(r));
                   });
  }
  void read(std::string stream_id, std::function<void(persistence::stream_read)> done) override {
    inner_->read(std::move(stream_id), std::move(done));
  }
  void snapshot(persistence::snapshot_record snap) override { inner_->snapshot(std::move(snap)); }
  actors::journal_health health() const override { return inner_->health(); }
  void query(std::function<void(persistence::journal_store*)> job) override {
    inner_->query(std::move(job));
  }

  predicate crash_after;
  predicate crash_before;
  bool crashed = false;
  std::vector<std::function<void(persistence::append_result)>> hung;

 private:
  std::shared_ptr<actors::journal_backend> inner_;
};

/// True if `req` journals an event of `type` for `step` (any step if empty).
inline bool journals(const persistence::append_request& req, std::string_view type,
                     std::string_view step = {}) {
  for (const auto& e : req.events) {
    if (e.event_type != type) continue;
    if (step.empty()) return true;
    auto decoded = sagas::decode_event(e.event_type, e.payload);
    if (!decoded) continue;
    bool hit = std::visit(
        [step](const auto& ev) {
          if constexpr (requires { ev.step; })
            return ev.step == step;
          else
            return false;
        },
        *decoded);
    if (hit) return true;
  }
  return false;
}

class saga_fixture : public actor_fixture {
 protected:
  saga_fixture() { restart(); }

  /// Stops the runtime (and the manager with it) and starts both again over the same journal
  /// file: a process restart. The crash points are cleared. Unless `settle`, nothing runs after
  /// the manager is spawned, so the next message reaches it before it has resumed its sagas.
  void restart(bool settle = true) {
    runtime_.reset();
    std::string error;
    auto store = persistence::open_sqlite_journal({.file = dir_.file("journal.sqlite")}, &error);
    if (!store) throw std::runtime_error(error);
    crash_ = std::make_shared<crashing_backend>(actors::make_inline_backend(std::move(store)));
    backend_ = std::make_shared<faulty_backend>(crash_);
    options_.deterministic = true;
    runtime_ = actors::actor_runtime::start(options_, backend_);
    sched().run();
    sagas::saga_manager_options o;
    o.definitions = definitions();
    o.now = [clock = clock_] { return *clock; };
    o.on_alert = [alerts = alerts_](const std::string& line) { alerts->push_back(line); };
    o.entities = options_.entities;
    o.resume_window = resume_window_;
    auto spawned = sagas::spawn_saga_manager(sys(), std::move(o));
    if (!spawned) throw std::runtime_error(spawned.error().detail);
    manager_ = *spawned;
    if (settle) sched().run();
  }

  /// The saga types the manager runs.
  sagas::saga_registry definitions() {
    sagas::saga_registry r;
    r.emplace("three_step", three_step());
    r.emplace("four_step", steps_in_a_row("four_step", {"reserve", "charge", "notify", "audit"}));
    r.emplace("approval", approval());
    r.emplace("confirm", confirm());
    r.emplace("slow", slow("slow", 2));
    r.emplace("slow_once", slow("slow_once", 1));
    auto lost = steps_in_a_row("lost_answer", {"reserve", "charge"});
    lost.steps[0].undo_if_attempted = true;
    lost.steps[0].operator_resolvable = lost.steps[1].operator_resolvable;
    r.emplace("lost_answer", std::move(lost));
    return r;
  }

  sagas::retry_spec quick_retry() {
    sagas::retry_spec r;
    r.max_attempts = 3;
    r.initial_backoff = std::chrono::milliseconds(1000);
    r.max_backoff = std::chrono::milliseconds(10'000);
    r.multiplier = 2;
    return r;
  }

  /// Action steps named `names`, each with a compensation; an operator may resolve a
  /// compensation of the second that failed for being busy.
  sagas::saga_definition steps_in_a_row(std::string type, std::vector<std::string> names) {
    sagas::saga_definition d;
    d.type = std::move(type);
    for (const auto& n : names) {
      d.steps.push_back(sagas::action_step(n, fake_->action(n, fake_),
                                           fake_->action(n + ":compensate", fake_), quick_retry()));
    }
    d.steps[1].operator_resolvable = [](std::string_view error) { return error.ends_with("busy"); };
    return d;
  }

  /// reserve → charge → notify (steps_in_a_row); owned by its input's "pod_id", its listing
  /// shows the amount.
  sagas::saga_definition three_step() {
    auto d = steps_in_a_row("three_step", {"reserve", "charge", "notify"});
    d.owner_member = "pod_id";
    d.summary_members = {"amount_minor", "currency"};
    return d;
  }

  /// reserve → approve (two approvals within a minute; two rejections veto) → payout.
  sagas::saga_definition approval() {
    sagas::saga_definition d;
    d.type = "approval";
    d.steps.push_back(sagas::action_step("reserve", fake_->action("reserve", fake_),
                                         fake_->action("reserve:compensate", fake_),
                                         quick_retry()));
    d.steps.push_back(sagas::wait_step("approve", std::chrono::minutes(1), sagas::quorum(2, 2)));
    d.steps.push_back(
        sagas::action_step("payout", fake_->action("payout", fake_), {}, quick_retry()));
    return d;
  }

  /// submit → confirm (a rail confirmation within 30 s; at the deadline a timeout action asks the
  /// rail and decides) → settle.
  sagas::saga_definition confirm() {
    sagas::saga_definition d;
    d.type = "confirm";
    d.steps.push_back(sagas::action_step("submit", fake_->action("submit", fake_),
                                         fake_->action("submit:compensate", fake_), quick_retry()));
    d.steps.push_back(sagas::wait_step("confirm", std::chrono::seconds(30), {},
                                       fake_->action("confirm:timeout", fake_)));
    d.steps.back().retry = quick_retry();
    d.steps.push_back(
        sagas::action_step("settle", fake_->action("settle", fake_), {}, quick_retry()));
    return d;
  }

  /// reserve → charge, where a charge attempt with no answer within 5 s counts as failed.
  sagas::saga_definition slow(const std::string& type, std::int64_t charge_attempts) {
    sagas::saga_definition d;
    d.type = type;
    d.steps.push_back(sagas::action_step("reserve", fake_->action("reserve", fake_),
                                         fake_->action("reserve:compensate", fake_),
                                         quick_retry()));
    auto retry = quick_retry();
    retry.max_attempts = charge_attempts;
    retry.attempt_timeout = std::chrono::seconds(5);
    d.steps.push_back(sagas::action_step("charge", fake_->action("charge", fake_),
                                         fake_->action("charge:compensate", fake_), retry));
    return d;
  }

  /// Moves the saga clock and CAF's virtual time together.
  void pass(std::chrono::milliseconds by) {
    *clock_ += by.count();
    advance(by);
  }

  /// Saga streams the manager's start-up scan reads per page (saga_manager_options).
  std::uint64_t resume_window_ = 512;

  std::int64_t now() const { return *clock_; }

  result<actors::saga_view> start_saga(const std::string& id,
                                       const std::string& type = "three_step",
                                       const std::string& input = "{\"amount_minor\":1000}") {
    return ask<actors::saga_view>(manager_, actors::start_saga{id, type, input});
  }

  result<actors::saga_view> get(const std::string& id) {
    return ask<actors::saga_view>(manager_, actors::get_saga{id});
  }

  actors::saga_view view(const std::string& id) {
    auto v = get(id);
    EXPECT_TRUE(v) << v.error().detail;
    return v ? *v : actors::saga_view{};
  }

  result<actors::saga_view> signal(const std::string& id, const std::string& step,
                                   const std::string& signal_id, actors::signal_decision decision) {
    return ask<actors::saga_view>(
        manager_,
        actors::signal_saga{{id, step, signal_id, decision, "{\"by\":\"" + signal_id + "\"}"}});
  }

  actors::saga_stats stats() {
    return *ask<actors::saga_stats>(manager_, actors::saga_stats_request{});
  }

  static const actors::saga_step_view& step(const actors::saga_view& v, const std::string& name) {
    for (const auto& s : v.steps)
      if (s.name == name) return s;
    static const actors::saga_step_view none;
    ADD_FAILURE() << "no step " << name;
    return none;
  }

  std::shared_ptr<fake_provider> fake_ = std::make_shared<fake_provider>();
  std::shared_ptr<std::int64_t> clock_ = std::make_shared<std::int64_t>(1'750'000'000'000);
  std::shared_ptr<std::vector<std::string>> alerts_ = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<crashing_backend> crash_;
  actors::saga_manager_actor manager_;
};

}  // namespace payorch::testing
