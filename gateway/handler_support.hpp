#pragma once
/// What the resource handlers share: body and query decoding with problem details, cursors,
/// the caller an authenticated request acts as, and replies from actor results.

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "actors/pod_protocol.hpp"
#include "domain/result.hpp"
#include "gateway/exchange.hpp"
#include "gateway/json_input.hpp"
#include "gateway/json_output.hpp"

namespace payorch::gateway {

struct principal;

/// A 400 `invalid_field` naming `param`.
problem bad_field(std::string param, std::string detail);

/// The request body as a JSON object; `allow_empty` accepts an empty body as `{}`.
std::variant<json_node, problem> object_body(const http_request& req, bool allow_empty = false);

/// Reads a required member of `kind`; a problem naming `param` when absent or mistyped.
std::optional<problem> require(const json_node& obj, std::string_view key, json_kind kind,
                               const std::string& param, const json_node*& out);

/// Reads an optional member of `kind` (`out` null when absent); a problem when mistyped.
std::optional<problem> optional_member(const json_node& obj, std::string_view key, json_kind kind,
                                       const std::string& param, const json_node*& out);

/// Rejects members the schema does not know, so a misspelt field is not silently ignored.
std::optional<problem> only_known(const json_node& obj,
                                  std::initializer_list<std::string_view> keys,
                                  std::string_view prefix = {});

/// An integer member that fits int64 (no fraction, no exponent); a problem otherwise.
std::optional<problem> require_integer(const json_node& obj, std::string_view key,
                                       const std::string& param, std::int64_t& out);

/// The decoded query parameters of the request target (later duplicates win).
std::variant<std::vector<std::pair<std::string, std::string>>, problem> query_of(
    const http_request& req);

/// `?limit=` and `?cursor=` of a list request: limit 1..200 (default 50), the cursor's text.
struct page_request {
  std::int64_t limit = 50;
  std::string after;  ///< decoded cursor; empty for the first page
  std::vector<std::pair<std::string, std::string>> query;
};

/// Reads and checks the paging parameters; 400 naming `limit` or `cursor`.
std::variant<page_request, problem> page_request_of(const http_request& req,
                                                    std::initializer_list<std::string_view> also);

/// 400 `invalid_query` on `cursor`: a cursor this API did not give out (or not for this list).
problem foreign_cursor();

/// The position a decoded cursor holds when positions are integers (0 for the first page);
/// replies 400 `invalid_query` and returns nullopt when it is not one.
std::optional<std::int64_t> integer_cursor(const exchange_ptr& ex, const std::string& after);

/// The opaque cursor clients see for a position (base64url of its text).
std::string encode_cursor(std::string_view position);

/// Writes `"next_cursor": "..."` or `null` when `position` is empty.
void write_next_cursor(json_writer& w, std::string_view position);

/// The caller a principal acts as inside pods.
actors::caller caller_of(const principal& p);

/// The Idempotency-Key's entity tag: the key and the fingerprint of this request.
actors::idempotency_tag idempotency_of(const exchange& ex);

/// A stable 64-bit id derived from the seed's SHA-256 (ids named by an Idempotency-Key).
std::uint64_t id_bits_from(std::string_view seed);

/// Replies with the failure as problem details.
void reply_failure(const exchange_ptr& ex, const failure& f);

/// Replies `status` with a JSON body, and a Location header when `location` is not empty.
void reply_body(const exchange_ptr& ex, http::status status, std::string body,
                const std::string& location = {});

/// A JSON answer as an entity stores it with its events (actors::answer_renderer), and as
/// reply_answer sends it.
actors::stored_answer json_answer(http::status status, std::string body, std::string location = {});

/// Replies with `answer` (its content type, and Location when it has one).
void reply_answer(const exchange_ptr& ex, actors::stored_answer answer);

/// Renders a view as a JSON answer with `write` (json_writer&, const View&); with a
/// `location_prefix`, Location is that prefix followed by the view's `id_of`.
template <class View, class Write, class IdOf>
actors::answer_renderer<View> json_renderer(http::status status, Write write, IdOf id_of,
                                            std::string location_prefix = {}) {
  return [status, write, id_of, location_prefix = std::move(location_prefix)](const View& view) {
    json_writer w;
    write(w, view);
    return json_answer(status, w.take(),
                       location_prefix.empty() ? std::string() : location_prefix + id_of(view));
  };
}

/// What replies to an entity's result with the answer `render` makes of it, or with the failure
/// as problem details.
template <class View>
auto rendered_reply(const exchange_ptr& ex, actors::answer_renderer<View> render) {
  return [ex, render = std::move(render)](result<View> r) {
    if (!r) return reply_failure(ex, r.error());
    reply_answer(ex, render(*r));
  };
}

/// Has the keyed command `cmd` store its answer, rendered by `render`, with its events (one
/// write: the effect is never durable without its answer), and returns what replies to its
/// result: the stored answer, or the rendered one when the entity stored none (a command that
/// wrote no event); a failure as problem details.
template <class View, class Command>
auto stored_answer_reply(const exchange_ptr& ex, const actors::idempotency_tag& tag, Command& cmd,
                         actors::answer_renderer<View> render) {
  cmd.idempotency = tag;
  cmd.render_answer = render;
  return [ex, receipt = tag.receipt, render = std::move(render)](result<View> r) {
    if (!r) return reply_failure(ex, r.error());
    reply_answer(ex, receipt && receipt->stored ? receipt->answer : render(*r));
  };
}

/// Replies 200 with a list page: `{"items": [write_item(w, item)...], "next_cursor": ...}`
/// (`next_position` empty: the last page).
template <class Items, class WriteItem>
void reply_page(const exchange_ptr& ex, const Items& items, WriteItem write_item,
                std::string_view next_position) {
  json_writer w;
  w.begin_object().key("items").begin_array();
  for (const auto& item : items) write_item(w, item);
  w.end_array();
  write_next_cursor(w, next_position);
  w.end_object();
  reply_body(ex, http::status::ok, w.take());
}

/// RFC 3339 text of `ms`, or null when `ms` is 0 (none).
void write_time_or_null(json_writer& w, std::string_view key, std::int64_t ms);

/// `text` as a JSON string, or null when it is empty (none).
void write_text_or_null(json_writer& w, std::string_view key, std::string_view text);

}  // namespace payorch::gateway
