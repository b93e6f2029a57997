// The keys whose values are lists of tables: `[[auth.clients]]` and `[[fx.rates]]`.

#include <algorithm>
#include <charconv>
#include <set>
#include <utility>

#include "config/key_table.hpp"
#include "domain/currency.hpp"
#include "domain/fx.hpp"
#include "domain/ids.hpp"

namespace payorch::config::detail {
namespace {

/// Reads the fields of one table, refusing unknown and mistyped ones; the first problem found
/// is kept, prefixed with the item's name and place, so the caller checks it once at the end.
class item_reader {
 public:
  item_reader(const table_item& item, std::string name, std::vector<std::string_view> known)
      : item_(item), name_(std::move(name)) {
    for (const auto& [field, value] : item.fields) {
      if (std::find(known.begin(), known.end(), field) == known.end()) {
        std::string allowed;
        for (auto k : known) allowed += (allowed.empty() ? "" : ", ") + std::string(k);
        fail("unknown field " + field + " (it takes " + allowed + ")");
      }
    }
  }

  /// The text field `field`; a problem when it is absent or a list.
  std::string text(std::string_view field) {
    const item_value* value = find(field);
    if (value == nullptr) return {};
    if (const auto* text = std::get_if<std::string>(value)) return *text;
    fail(std::string(field) + " must be a string, not an array");
    return {};
  }

  /// The list field `field`; a problem when it is absent or a single text.
  std::vector<std::string> list(std::string_view field) {
    const item_value* value = find(field);
    if (value == nullptr) return {};
    if (const auto* list = std::get_if<std::vector<std::string>>(value)) return *list;
    fail(std::string(field) + " must be an array of strings, not a string");
    return {};
  }

  void fail(const std::string& problem) {
    if (!problem_) problem_ = name_ + " (" + item_.origin + "): " + problem;
  }

  const std::optional<std::string>& problem() const { return problem_; }

 private:
  const item_value* find(std::string_view field) {
    for (const auto& [name, value] : item_.fields) {
      if (name == field) return &value;
    }
    fail(std::string(field) + " is required");
    return nullptr;
  }

  const table_item& item_;
  std::string name_;
  std::optional<std::string> problem_;
};

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '~' || c == '-';
}

/// What is wrong with a client id, if anything.
std::optional<std::string> client_id_problem(std::string_view id) {
  if (id.empty() || id.size() > limits::max_client_id_bytes ||
      !std::all_of(id.begin(), id.end(), is_id_char)) {
    return "id must be 1 to " + std::to_string(limits::max_client_id_bytes) +
           " of A-Z a-z 0-9 . _ ~ -";
  }
  return std::nullopt;
}

/// The byte count `text` decodes to as padded standard base64 (RFC 4648 section 4), or nullopt.
std::optional<std::size_t> base64_size(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t pad = text.size() - text.find_last_not_of('=') - 1;
  if (pad > 2) return std::nullopt;
  auto body = text.substr(0, text.size() - pad);
  bool alphabet = std::all_of(body.begin(), body.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/';
  });
  if (!alphabet) return std::nullopt;
  return text.size() / 4 * 3 - pad;
}

/// What is wrong with a `pbkdf2-sha256$<iterations>$<salt>$<hash>` line, if anything.
std::optional<std::string> secret_hash_problem(std::string_view hash) {
  static constexpr std::string_view shape =
      "secret_hash must be pbkdf2-sha256$<iterations>$<salt base64>$<hash base64>, as payorch "
      "hash-secret prints";
  static constexpr std::string_view prefix = "pbkdf2-sha256$";
  if (!hash.starts_with(prefix)) return std::string(shape);
  auto rest = hash.substr(prefix.size());
  auto first = rest.find('$');
  auto second = first == std::string_view::npos ? first : rest.find('$', first + 1);
  if (second == std::string_view::npos) return std::string(shape);
  auto count = rest.substr(0, first);
  std::int64_t iterations = 0;
  auto [stop, ec] = std::from_chars(count.data(), count.data() + count.size(), iterations);
  if (ec != std::errc{} || stop != count.data() + count.size() ||
      iterations < limits::pbkdf2_iterations_floor ||
      iterations > limits::pbkdf2_iterations_ceiling) {
    return "secret_hash must use " + std::to_string(limits::pbkdf2_iterations_floor) + " to " +
           std::to_string(limits::pbkdf2_iterations_ceiling) + " iterations";
  }
  auto salt = base64_size(rest.substr(first + 1, second - first - 1));
  if (!salt || *salt < limits::pbkdf2_salt_bytes) {
    return "secret_hash must have a base64 salt of at least " +
           std::to_string(limits::pbkdf2_salt_bytes) + " bytes";
  }
  auto digest = base64_size(rest.substr(second + 1));
  if (!digest || *digest != 32) return "secret_hash must end with a base64 SHA-256 (32 bytes)";
  return std::nullopt;
}

std::optional<std::string> set_clients(settings& out, std::span<const table_item> items) {
  if (items.size() > limits::max_auth_clients) {
    return "at most " + std::to_string(limits::max_auth_clients) + " clients";
  }
  std::vector<auth_client> clients;
  std::set<std::string, std::less<>> ids;
  for (std::size_t i = 0; i < items.size(); ++i) {
    item_reader in(items[i], "client " + std::to_string(i + 1), {"id", "secret_hash", "scopes"});
    auth_client c{in.text("id"), in.text("secret_hash"), in.list("scopes")};
    if (in.problem()) return in.problem();
    if (auto p = client_id_problem(c.id)) in.fail(*p);
    if (!ids.insert(c.id).second) in.fail("id " + c.id + " is used by an earlier client");
    if (auto p = secret_hash_problem(c.secret_hash)) in.fail(*p);
    if (c.scopes.empty() || c.scopes.size() > limits::max_scopes_per_client) {
      in.fail("scopes must list 1 to " + std::to_string(limits::max_scopes_per_client) + " scopes");
    }
    for (const auto& scope : c.scopes) {
      if (auto p = scope_problem(scope)) in.fail("scope \"" + scope + "\" " + *p);
    }
    if (in.problem()) return in.problem();
    clients.push_back(std::move(c));
  }
  out.auth_clients = std::move(clients);
  return std::nullopt;
}

std::string get_clients(const settings& in) {
  std::string text = "[";
  for (const auto& c : in.auth_clients) {
    text += text.size() == 1 ? "" : ", ";
    text += "{ id = " + quote_toml(c.id) + ", secret_hash = " + quote_toml(c.secret_hash) +
            ", scopes = [";
    for (std::size_t i = 0; i < c.scopes.size(); ++i) {
      text += (i == 0 ? "" : ", ") + quote_toml(c.scopes[i]);
    }
    text += "] }";
  }
  return text + "]";
}

std::optional<std::string> set_fx_rates(settings& out, std::span<const table_item> items) {
  if (items.size() > limits::max_fx_rates) {
    return "at most " + std::to_string(limits::max_fx_rates) + " rates";
  }
  std::vector<fx_rate_entry> rates;
  std::set<std::pair<std::string, std::string>> pairs;
  for (std::size_t i = 0; i < items.size(); ++i) {
    item_reader in(items[i], "rate " + std::to_string(i + 1), {"base", "quote", "rate"});
    fx_rate_entry r{in.text("base"), in.text("quote"), in.text("rate")};
    if (in.problem()) return in.problem();
    auto base = currency::from_code(r.base);
    auto quote = currency::from_code(r.quote);
    if (!base) in.fail("base \"" + r.base + "\" is not an ISO 4217 currency code");
    if (!quote) in.fail("quote \"" + r.quote + "\" is not an ISO 4217 currency code");
    if (base && quote) {
      if (*base == *quote) in.fail("base and quote must differ");
      auto parsed = fx_rate::parse(*base, *quote, r.rate);
      if (!parsed) {
        in.fail("rate \"" + r.rate +
                "\" must be a positive decimal with at most 9 decimals, written as a string");
      }
    }
    if (!pairs.emplace(r.base, r.quote).second) {
      in.fail(r.base + "/" + r.quote + " is given by an earlier rate");
    }
    if (in.problem()) return in.problem();
    rates.push_back(std::move(r));
  }
  out.fx_rates = std::move(rates);
  return std::nullopt;
}

std::string get_fx_rates(const settings& in) {
  std::string text = "[";
  for (const auto& r : in.fx_rates) {
    text += text.size() == 1 ? "" : ", ";
    text += "{ base = " + quote_toml(r.base) + ", quote = " + quote_toml(r.quote) +
            ", rate = " + quote_toml(r.rate) + " }";
  }
  return text + "]";
}

}  // namespace

std::optional<std::string> scope_problem(std::string_view scope) {
  static constexpr std::string_view shape =
      "must be *, operator or crowdpod:{pod_id|*}:{read|write|admin}";
  if (scope == "*" || scope == "operator") return std::nullopt;
  static constexpr std::string_view prefix = "crowdpod:";
  if (!scope.starts_with(prefix)) return std::string(shape);
  auto rest = scope.substr(prefix.size());
  auto colon = rest.find(':');
  if (colon == std::string_view::npos) return std::string(shape);
  auto pod = rest.substr(0, colon);
  auto level = rest.substr(colon + 1);
  if (level != "read" && level != "write" && level != "admin") return std::string(shape);
  if (pod != "*" && !pod_id::parse(pod)) return "names no valid pod id (pod_ + 16 hex digits)";
  return std::nullopt;
}

table_list_rule auth_clients_rule() {
  return {"[[auth.clients]] tables of id, secret_hash and scopes", &set_clients, &get_clients};
}

table_list_rule fx_rates_rule() {
  return {"[[fx.rates]] tables of base, quote and rate", &set_fx_rates, &get_fx_rates};
}

std::optional<config_error> check_together(const settings& value) {
  if (value.auth_algorithm == "HS256" && value.auth_hs256_secret.empty()) {
    return config_error{"auth.hs256_secret", "must be set when auth.algorithm is HS256"};
  }
  return std::nullopt;
}

}  // namespace payorch::config::detail
