#pragma once
/// Idempotency-Key handling for POST and PATCH (IETF draft "The Idempotency-Key HTTP Header
/// Field"), in front of the handlers.
///
/// A key belongs to the authenticated client. The first request with a key runs; its response
/// (status, body, Location) is sent and stored in the next group commit, for 24 h; until the
/// record is durable, retries are answered from memory. A retry with the
/// same key and the same request (method, target, body) gets that stored response again with
/// `Idempotency-Replayed: true` and causes nothing; the same key with another request is 422;
/// a retry while the first is still running is 409. Responses with a 5xx status are not stored,
/// so a retry after a server failure runs again. Pods and pledges also remember the key that
/// made them, and every keyed write that changes a pod stores its answer in the journal in the
/// same transaction as its events (the handler lends the renderer, the tag's receipt says it is
/// done, and no put follows).
/// A record with status 0 is a claim, from commands without a renderer or older journals: a
/// retry that finds only that runs again and gets what the key made instead of making a second
/// one; another request under the key is 422 then too.

#include <cstddef>
#include <functional>

#include "actors/pod_protocol.hpp"
#include "gateway/exchange.hpp"

namespace payorch::gateway {

struct api_context;
struct principal;

/// The handler run under a key; it gets the request's key and fingerprint (empty without a key).
using idempotent_run = std::function<void(const actors::idempotency_tag&)>;

/// Runs `run` (the handler, which replies on `ex`) under the request's Idempotency-Key, if any;
/// without a key it calls `run` directly unless `key_required` (then 400).
void run_idempotent(const api_context& ctx, const exchange_ptr& ex, const principal& who,
                    bool key_required, idempotent_run run);

/// Keys claimed in this process whose request runs or whose record is not yet durable; a
/// graceful shutdown waits for this to reach 0.
std::size_t unsettled_idempotency_keys();

}  // namespace payorch::gateway
