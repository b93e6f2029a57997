#pragma once
/// Text helpers of the PostgreSQL journal: what a text column accepts, array and LIKE literals.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "domain/ids.hpp"  // hex_encode, for the bytea columns (decode(x, 'hex') on the server)
#include "domain/utf8.hpp"

namespace payorch::persistence::postgres {

/// True if PostgreSQL's text type takes `text` in a UTF8 database: valid UTF-8 without NUL
/// (`is_utf8_text`).
///
/// Checked before writing, because a statement that fails aborts the whole batch's transaction.
bool storable_text(std::string_view text);

/// A text[] literal ({"a","b"}) with every element quoted, for `$n::text[]`.
std::string text_array(const std::vector<std::string_view>& values);

/// A bigint[] literal ({1,2}), for `$n::bigint[]`.
std::string int_array(const std::vector<std::int64_t>& values);

/// A LIKE pattern matching every string that starts with `prefix` (with \ as the escape).
std::string like_prefix(std::string_view prefix);

}  // namespace payorch::persistence::postgres
