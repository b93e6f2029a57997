#pragma once
/// Forward declarations of the domain types, for headers that only pass them around.
///
/// Everything lives in namespace payorch. `payorch::domain` is an alias spelling of the
/// same names (payorch::domain::money is payorch::money) for callers that prefer it.

#include <cstdint>

namespace payorch {

enum class errc : std::uint8_t;
struct failure;
template <class T>
class result;
using status = result<void>;

class currency;
class money;
struct decimal;
struct fx_rate;
struct conversion;

template <class Tag>
class strong_id;
struct pod_tag;
struct payment_tag;
struct pledge_tag;
struct payout_tag;
struct event_tag;
struct saga_tag;
struct campaign_tag;
using pod_id = strong_id<pod_tag>;
using payment_id = strong_id<payment_tag>;
using pledge_id = strong_id<pledge_tag>;
using payout_id = strong_id<payout_tag>;
using event_id = strong_id<event_tag>;
using saga_id = strong_id<saga_tag>;
using campaign_id = strong_id<campaign_tag>;

enum class pod_status : std::uint8_t;
enum class pod_transition : std::uint8_t;
enum class risk_tier : std::uint8_t;
struct governance_policy;

}  // namespace payorch

namespace payorch::domain {
using namespace ::payorch;  // NOLINT(google-build-using-namespace): alias spelling, see above
}  // namespace payorch::domain
