#pragma once
/// A pod's state as rebuilt from its journal stream, the decisions commands make on it, and the
/// views the outside sees.
///
/// Decisions are pure: `decide_*` reads the state and a command and returns the events to
/// journal (or why not); `apply` folds one event into the state. The pod actor applies decided
/// events to its tentative state at once and journals them; recovery applies the same events
/// decoded from the journal. Views take the request time, because a pledge past its due time
/// reads as EXPIRED even before the pod journals its PledgeExpired event.

#include <array>
#include <boost/container/flat_map.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "actors/pod_events.hpp"
#include "actors/pod_protocol.hpp"
#include "adapters/fx_rates.hpp"
#include "domain/currency.hpp"
#include "domain/cycle.hpp"
#include "domain/membership.hpp"
#include "domain/pod.hpp"
#include "domain/result.hpp"
#include "persistence/journal.hpp"

namespace payorch::actors {

/// Most members one pod holds; a bound on the pod actor's memory.
inline constexpr std::size_t max_members_per_pod = 10'000;
/// Most pledges one pod holds over its life (settled ones included); past it, pledges are
/// refused until a later issue archives old ones.
inline constexpr std::size_t max_pledges_per_pod = 100'000;

/// What the state keeps of an Idempotency-Key or a request fingerprint: the first 16 bytes of
/// its SHA-256. Enough to tell a retry from another request, and 16 bytes in place of a string
/// of up to 255 characters; all zero for an empty text.
using request_digest = std::array<std::uint8_t, 16>;
request_digest digest_of(std::string_view text);

/// A part of the state most pods never use: one null pointer until it is first written.
/// Reading an absent part reads an empty `T`; copies are deep.
template <class T>
class cold_part {
 public:
  cold_part() = default;
  cold_part(const cold_part& other)
      : part_(other.part_ ? std::make_unique<T>(*other.part_) : nullptr) {}
  cold_part(cold_part&&) noexcept = default;
  cold_part& operator=(const cold_part& other) {
    if (this != &other) part_ = other.part_ ? std::make_unique<T>(*other.part_) : nullptr;
    return *this;
  }
  cold_part& operator=(cold_part&&) noexcept = default;
  ~cold_part() = default;

  const T& operator*() const noexcept { return part_ ? *part_ : empty(); }
  const T* operator->() const noexcept { return &**this; }
  /// The part to change, or null while it is absent (nothing to change in it then).
  T* existing() noexcept { return part_.get(); }
  /// The part, made empty first if it was absent.
  T& write() {
    if (!part_) part_ = std::make_unique<T>();
    return *part_;
  }

 private:
  static const T& empty() noexcept {
    static const T nothing{};
    return nothing;
  }
  std::unique_ptr<T> part_;
};

struct member_record {
  member_role role = member_role::member;
  std::int64_t joined_at_ms = 0;
  /// Since when the member has held a role that votes: the join, or the change of role that
  /// ended an OBSERVER's watch (a change between voting roles keeps it). Only a member who
  /// could vote when a payout's hold was made votes on it.
  std::int64_t voting_since_ms = 0;
  reputation_counters reputation;
};

struct pledge_record {
  std::string pledge_id;
  std::string user_id;
  std::int64_t amount_minor = 0;
  currency pledge_currency;
  pledge_status status = pledge_status::pledged;
  std::int64_t cycle = 0;
  std::int64_t due_at_ms = 0;
  std::int64_t created_at_ms = 0;
  std::int64_t settled_at_ms = 0;
  request_digest idempotency_key{};      ///< of the request that made it
  request_digest request_fingerprint{};  ///< of the request that made it
};

/// Most payouts one pod holds over its life.
inline constexpr std::size_t max_payouts_per_pod = 100'000;

enum class payout_status : std::uint8_t { reserved, posted, released, reversed };

/// "RESERVED", "POSTED", "RELEASED" or "REVERSED".
std::string_view to_string(payout_status s) noexcept;
std::optional<payout_status> payout_status_from_string(std::string_view text) noexcept;

/// A payout as the wallet knows it: the reserved event's facts and how far it got.
struct payout_record {
  payout_reserved reserved;
  payout_status status = payout_status::reserved;
  std::int64_t sell_minor = 0;
  std::int64_t buy_minor = 0;
  std::string rate;
  std::string quote_id;
  std::string reason;
  std::int64_t updated_at_ms = 0;
  std::vector<std::string> voters;  ///< members whose vote is recorded, in order
};

/// What payouts did to the wallet in one currency: posted minor units (negative: sent out,
/// positive: came back) and minor units held.
struct payout_sums {
  std::int64_t posted_minor = 0;
  std::int64_t reserved_minor = 0;
};

/// What a pod's pledges in one currency add up to, by their journaled status.
struct pledge_sums {
  std::int64_t pledged_minor = 0;  ///< PLEDGED: promised, not yet arrived
  std::int64_t settled_minor = 0;  ///< SETTLED: arrived
};

/// The money a pod moved: pledges in, payouts out. Absent until the first of either, so a pod
/// that holds none carries one pointer instead of empty containers.
struct pod_funds {
  std::vector<pledge_record> pledges;                         ///< in the order they were made
  std::unordered_map<std::string, std::size_t> pledge_index;  ///< pledge id -> position
  /// Running sums of `pledges` by currency, so neither a pledge nor a balance walks them all.
  std::map<std::string, pledge_sums, std::less<>> pledge_totals;
  /// (due time, position) of every PLEDGED pledge that has a due time, earliest first: what is
  /// due by a given time is found without walking every pledge.
  std::set<std::pair<std::int64_t, std::size_t>> open_due;
  std::map<std::string, payout_record> payouts;  ///< by payout id
  /// Running sums of `payouts` by currency, so a balance never walks every payout.
  std::map<std::string, payout_sums, std::less<>> payout_totals;
};

/// The state of one pod.
struct pod_record {
  std::string pod_id;
  std::string name;
  std::string owner_id;
  governance_policy policy;
  std::int64_t policy_version = 1;
  std::optional<contribution_cycle> cycle;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
  // The small fields together, so they share padding (there are 100,000s of live pods).
  currency pod_currency;
  pod_status status = pod_status::draft;
  request_digest creation_key{}, creation_fingerprint{};  ///< of the creating request
  /// By user id; sorted in one block (a node per member cost ~50 bytes more each).
  boost::container::flat_map<std::string, member_record> members;
  cold_part<pod_funds> funds;

  const member_record* member(const std::string& user_id) const;
  const pledge_record* pledge(const std::string& pledge_id) const;
};

/// Folds one event into the state (absent before CrowdPodCreated).
result<void> apply_event(std::optional<pod_record>& pod, const pod_event& event);

/// Validates a create command; the events that create the pod with its creator as ADMIN.
result<std::vector<pod_event>> decide_create(const create_pod& cmd);

/// Each decision below returns the events to journal, given the pod as it is now.
result<std::vector<pod_event>> decide(const pod_record& pod, const update_policy& cmd);
result<std::vector<pod_event>> decide(const pod_record& pod, const change_pod_status& cmd);
result<std::vector<pod_event>> decide(const pod_record& pod, const add_member& cmd);
result<std::vector<pod_event>> decide(const pod_record& pod, const change_member_role& cmd);
result<std::vector<pod_event>> decide(const pod_record& pod, const remove_member& cmd);
result<std::vector<pod_event>> decide(const pod_record& pod, const make_pledge& cmd);
result<std::vector<pod_event>> decide(const pod_record& pod, const settle_pledge& cmd);
/// check: no events, or why the payout may not be made. reserve, post, release, reverse: the
/// events (none when the payout is already there, so retries are safe). get: not_found or none.
result<std::vector<pod_event>> decide(const pod_record& pod, const payout_command& cmd);

/// PledgeExpired for every pledge still PLEDGED whose due time is at or before `now_ms`.
std::vector<pod_event> expire_due_pledges(const pod_record& pod, std::int64_t now_ms);

/// Recomputes the running sums and the due index of pledges and payouts from the pledges and
/// payouts themselves (after a snapshot is decoded).
void recount_funds(pod_record& pod);

/// Encodes the whole state for a snapshot, and decodes it back.
std::string encode_snapshot(const pod_record& pod);
result<pod_record> decode_snapshot(const std::string& payload);

/// The outside views, as of `now_ms`.
pod_view view_of(const pod_record& pod, std::int64_t version);
member_view view_of(const pod_record& pod, const std::string& user_id, std::int64_t now_ms);
pledge_view view_of(const pod_record& pod, const pledge_record& pledge, std::int64_t now_ms);
payout_view view_of(const pod_record& pod, const payout_record& payout);
/// What a payout check answers: the governance facts a payout of `cmd` would be reserved with.
payout_view check_view(const pod_record& pod, const payout_command& cmd);
member_page page_of(const pod_record& pod, const list_members& query);
result<pledge_page> page_of(const pod_record& pod, const list_pledges& query);
/// The wallet's balances, with their total in the pod's currency at `rates` (may be null: no
/// conversion, every other currency is reported missing).
balance_view balance_of(const pod_record& pod, std::int64_t version, std::int64_t now_ms,
                        const adapters::fx_rate_source* rates);
result<cycle_view> cycle_of(const pod_record& pod, const get_cycle& query);

/// A pledge's status as of `now_ms`: PLEDGED past its due time reads EXPIRED.
pledge_status effective_status(const pledge_record& pledge, std::int64_t now_ms);

}  // namespace payorch::actors
