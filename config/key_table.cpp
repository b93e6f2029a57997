#include "config/key_table.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <type_traits>

namespace payorch::config::detail {
namespace {

template <auto member>
void set_integer(settings& out, std::int64_t value) {
  using target = std::remove_reference_t<decltype(out.*member)>;
  out.*member = static_cast<target>(value);
}

template <auto member>
std::int64_t get_integer(const settings& in) {
  return static_cast<std::int64_t>(in.*member);
}

template <auto member>
integer_rule integer_between(std::int64_t floor, std::int64_t ceiling) {
  return {floor, ceiling, &set_integer<member>, &get_integer<member>};
}

std::optional<std::string> set_listen(settings& out, std::string_view text) {
  auto parsed = parse_listen_address(text);
  if (auto* problem = std::get_if<std::string>(&parsed)) return std::move(*problem);
  out.listen = std::get<listen_address>(parsed);
  return std::nullopt;
}

std::optional<std::string> set_data_dir(settings& out, std::string_view text) {
  if (text.empty()) return "must not be empty";
  if (text.find('\0') != std::string_view::npos) return "must not contain a NUL character";
  out.data_dir = std::filesystem::path(text);
  return std::nullopt;
}

std::optional<std::string> set_storage(settings& out, std::string_view text) {
  if (text == "sqlite") {
    out.storage = std::string(text);
    return std::nullopt;
  }
  const bool postgres = text.starts_with("postgresql://") || text.starts_with("postgres://");
  if (!postgres) return R"(must be "sqlite" or a postgresql://user@host:port/database URI)";
  const auto rest = text.substr(text.find("://") + 3);
  if (rest.empty() || rest.front() == '/')
    return "must name a host: postgresql://user@host:port/db";
  if (text.find_first_of(" \t\n\r") != std::string_view::npos ||
      text.find('\0') != std::string_view::npos)
    return "must not contain spaces or control characters";
  out.storage = std::string(text);
  return std::nullopt;
}

/// True for the libpq parameters whose value is a secret: the password, and the passphrase of
/// the client's TLS key.
bool secret_parameter(std::string_view name) {
  return name == "password" || name == "sslpassword";
}

/// `name` with its %XX escapes decoded, as libpq reads a URI parameter's name.
std::string percent_decoded(std::string_view name) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '%' && i + 2 < name.size() && hex(name[i + 1]) >= 0 && hex(name[i + 2]) >= 0) {
      out += static_cast<char>(hex(name[i + 1]) * 16 + hex(name[i + 2]));
      i += 2;
    } else {
      out += name[i];
    }
  }
  return out;
}

/// A connection URI with the password of its `user:pass@` and the values of its secret query
/// parameters (names read as libpq reads them, %XX decoded) replaced by `***`. As libpq reads a
/// URI: the credentials run to the first '@' that comes before any '/', the parameters from the
/// first '?' after them to the end ('#' means nothing), separated by '&'.
std::string uri_without_password(std::string s, std::size_t start) {
  const auto credentials_end = s.find_first_of("@/", start);
  std::size_t rest = start;  // where the host part begins
  if (credentials_end != std::string::npos && s[credentials_end] == '@') {
    const auto colon = s.find(':', start);
    if (colon < credentials_end) s = s.substr(0, colon + 1) + "***" + s.substr(credentials_end);
    rest = s.find('@', start) + 1;
  }
  // The parameters start at the first '?' outside a bracketed (IPv6) host: a '[' counts as one
  // only in the host part (before the path's '/') and with its ']' (an unclosed one, or one in
  // the database's name, would otherwise hide the whole query from this scan).
  std::size_t query = rest;
  bool in_host = true;
  for (; query < s.size() && s[query] != '?'; ++query) {
    if (s[query] == '/') {
      in_host = false;
    } else if (in_host && s[query] == '[') {
      if (const auto close = s.find(']', query); close != std::string::npos) query = close;
    }
  }
  if (query >= s.size()) return s;
  std::string out = s.substr(0, query + 1);
  for (std::size_t begin = query + 1; begin <= s.size();) {
    auto end = s.find('&', begin);
    if (end == std::string::npos) end = s.size();
    const std::string_view part(s.data() + begin, end - begin);
    const auto eq = part.find('=');
    if (eq != std::string_view::npos && secret_parameter(percent_decoded(part.substr(0, eq))))
      out += std::string(part.substr(0, eq + 1)) + "***";
    else
      out += part;
    if (end < s.size()) out += '&';
    begin = end + 1;
  }
  return out;
}

/// A libpq `keyword = value` string with the values of its secret keywords replaced by `***`.
/// Values may be single-quoted with backslash escapes and spaces may surround `=`, as libpq
/// allows; a string it cannot read that way is hidden from its first "password" on.
std::string keywords_without_password(std::string_view s) {
  std::string out;
  std::size_t i = 0;
  std::size_t consumed = 0;  // of `s`, up to the end of the last pair read
  const auto is_space = [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; };
  while (i < s.size()) {
    const auto token_start = i;
    while (i < s.size() && is_space(s[i])) ++i;
    const auto name_start = i;
    while (i < s.size() && s[i] != '=' && !is_space(s[i])) ++i;
    const auto name = s.substr(name_start, i - name_start);
    while (i < s.size() && is_space(s[i])) ++i;
    if (name.empty() || i >= s.size() || s[i] != '=') break;  // not keyword = value
    ++i;
    while (i < s.size() && is_space(s[i])) ++i;
    const auto value_start = i;
    if (i < s.size() && s[i] == '\'') {
      for (++i; i < s.size() && s[i] != '\''; ++i)
        if (s[i] == '\\') ++i;
      if (i >= s.size()) break;  // an unterminated quote
      ++i;
    } else {
      for (; i < s.size() && !is_space(s[i]); ++i)
        if (s[i] == '\\' && i + 1 < s.size()) ++i;  // an escaped character, a space too
    }
    out += s.substr(token_start, value_start - token_start);
    out += secret_parameter(name) ? "***" : std::string(s.substr(value_start, i - value_start));
    consumed = i;
  }
  // Unreadable from here on (or only spaces left): keep it up to a "password".
  std::string rest(s.substr(consumed));
  const auto secret = rest.find("password");
  return out + (secret == std::string::npos ? rest : rest.substr(0, secret) + "***");
}

}  // namespace

/// `text` (a connection URI or a libpq `keyword = value` string) with every secret replaced by
/// `***`: the password of the URI's `user:pass@`, and the value of a `password` or `sslpassword`
/// parameter (in the URI's query, which libpq reads too, or a keyword).
std::string without_password(std::string_view text) {
  // libpq reads a string as a URI only when it starts with one of its two schemes; a refused
  // value that looks like another URI (no '=' before its "://") is hidden as one all the same.
  for (std::string_view scheme : {"postgresql://", "postgres://"})
    if (text.starts_with(scheme)) return uri_without_password(std::string(text), scheme.size());
  if (const auto scheme = text.find("://");
      scheme != std::string_view::npos &&
      text.substr(0, scheme).find('=') == std::string_view::npos)
    return uri_without_password(std::string(text), scheme + 3);
  return keywords_without_password(text);
}

namespace {

/// The storage setting with any password replaced by `***`, so printing it leaks nothing.
std::string storage_shown(const settings& in) {
  return without_password(in.storage);
}

std::optional<std::string> set_migrations(settings& out, std::string_view text) {
  if (text != "apply" && text != "check") return R"(must be "apply" or "check")";
  out.journal_apply_migrations = text == "apply";
  return std::nullopt;
}

std::optional<std::string> set_synchronous(settings& out, std::string_view text) {
  if (text != "full" && text != "normal") return R"(must be "full" or "normal")";
  out.journal_synchronous_full = text == "full";
  return std::nullopt;
}

/// Stores `text` in `member` if it is one of `allowed`; the message lists them otherwise.
template <std::string settings::*member>
std::optional<std::string> set_one_of(settings& out, std::string_view text,
                                      std::span<const std::string_view> allowed) {
  if (std::find(allowed.begin(), allowed.end(), text) != allowed.end()) {
    out.*member = std::string(text);
    return std::nullopt;
  }
  std::string message = "must be one of";
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    message += i == 0 ? " " : ", ";
    message += allowed[i];
  }
  return message;
}

constexpr std::array<std::string_view, 5> log_levels{"trace", "debug", "info", "warn", "error"};
constexpr std::array<std::string_view, 3> log_formats{"auto", "text", "json"};
constexpr std::array<std::string_view, 2> auth_algorithms{"ES256", "HS256"};

/// What is wrong with an issuer or audience name, if anything.
std::optional<std::string> name_problem(std::string_view text) {
  if (text.empty()) return "must not be empty";
  if (text.size() > limits::max_issuer_bytes) {
    return "must be at most " + std::to_string(limits::max_issuer_bytes) + " bytes";
  }
  bool printable =
      std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
  if (!printable) return "must be printable ASCII";
  return std::nullopt;
}

text_rule listen_rule() {
  return {"HOST:PORT", &set_listen, [](const settings& in) { return to_string(in.listen); }};
}

text_rule data_dir_rule() {
  return {"a path", &set_data_dir, [](const settings& in) { return in.data_dir.string(); }};
}

text_rule storage_rule() {
  return {R"("sqlite" or a postgresql:// URI)", &set_storage, &storage_shown, false,
          &without_password};
}

text_rule migrations_rule() {
  return {R"("apply" or "check")", &set_migrations, [](const settings& in) {
            return std::string(in.journal_apply_migrations ? "apply" : "check");
          }};
}

text_rule synchronous_rule() {
  return {R"("full" or "normal")", &set_synchronous, [](const settings& in) {
            return std::string(in.journal_synchronous_full ? "full" : "normal");
          }};
}

text_rule log_level_rule() {
  return {"trace, debug, info, warn or error",
          [](settings& out, std::string_view text) {
            return set_one_of<&settings::log_level>(out, text, log_levels);
          },
          [](const settings& in) { return in.log_level; }};
}

text_rule log_format_rule() {
  return {"auto, text or json",
          [](settings& out, std::string_view text) {
            return set_one_of<&settings::log_format>(out, text, log_formats);
          },
          [](const settings& in) { return in.log_format; }};
}

template <std::string settings::*member>
text_rule name_rule() {
  return {"printable ASCII, 1 to 256 bytes",
          [](settings& out, std::string_view text) {
            auto problem = name_problem(text);
            if (!problem) out.*member = std::string(text);
            return problem;
          },
          [](const settings& in) { return in.*member; }};
}

text_rule auth_algorithm_rule() {
  return {"ES256 or HS256",
          [](settings& out, std::string_view text) {
            return set_one_of<&settings::auth_algorithm>(out, text, auth_algorithms);
          },
          [](const settings& in) { return in.auth_algorithm; }};
}

std::optional<std::string> set_hs256_secret(settings& out, std::string_view text) {
  // Empty means unset; check_together refuses it when the algorithm is HS256.
  if (!text.empty() && (text.size() < limits::hs256_secret_min_bytes ||
                        text.size() > limits::hs256_secret_max_bytes)) {
    return "must be " + std::to_string(limits::hs256_secret_min_bytes) + " to " +
           std::to_string(limits::hs256_secret_max_bytes) + " bytes (got " +
           std::to_string(text.size()) + " bytes)";
  }
  out.auth_hs256_secret = std::string(text);
  return std::nullopt;
}

text_rule hs256_secret_rule() {
  return {"32 to 1024 bytes", &set_hs256_secret,
          [](const settings& in) { return in.auth_hs256_secret; }, true};
}

/// One row per member of `settings` (the load tests check each row reaches its own member).
std::vector<key_spec> make_table() {
  namespace l = limits;
  std::vector<key_spec> table{
      {"listen", "address the HTTP listener binds, HOST:PORT or [IPV6]:PORT", listen_rule()},
      {"data_dir", "directory for the embedded database and other state", data_dir_rule()},
      {"storage", "the journal: sqlite (in data_dir) or a postgresql:// URI", storage_rule()},
      {"http.max_body_bytes", "largest request body accepted; larger gets 413",
       integer_between<&settings::max_body_bytes>(l::max_body_bytes_floor,
                                                  l::max_body_bytes_ceiling)},
      {"http.max_header_bytes", "largest request line plus headers accepted",
       integer_between<&settings::max_header_bytes>(l::max_header_bytes_floor,
                                                    l::max_header_bytes_ceiling)},
      {"http.max_header_count", "most header fields accepted in one request",
       integer_between<&settings::max_header_count>(l::max_header_count_floor,
                                                    l::max_header_count_ceiling)},
      {"http.request_timeout_ms", "deadline of one request, from first byte to reply",
       integer_between<&settings::request_timeout_ms>(l::request_timeout_ms_floor,
                                                      l::request_timeout_ms_ceiling)},
      {"http.keep_alive_timeout_ms", "how long an idle connection stays open",
       integer_between<&settings::keep_alive_timeout_ms>(l::keep_alive_timeout_ms_floor,
                                                         l::keep_alive_timeout_ms_ceiling)},
      {"http.io_threads", "threads running the HTTP listener and sessions",
       integer_between<&settings::io_threads>(l::io_threads_floor, l::io_threads_ceiling)},
      {"actors.threads", "threads of the actor scheduler",
       integer_between<&settings::actor_threads>(l::actor_threads_floor, l::actor_threads_ceiling)},
      {"actors.entity_idle_timeout_ms", "idle time after which an entity actor is passivated",
       integer_between<&settings::entity_idle_timeout_ms>(l::entity_idle_timeout_ms_floor,
                                                          l::entity_idle_timeout_ms_ceiling)},
      {"actors.max_restarts", "restarts a supervisor allows per window before it escalates",
       integer_between<&settings::supervisor_max_restarts>(l::supervisor_max_restarts_floor,
                                                           l::supervisor_max_restarts_ceiling)},
      {"actors.restart_window_ms", "window over which a supervisor counts restarts",
       integer_between<&settings::supervisor_restart_window_ms>(
           l::supervisor_restart_window_ms_floor, l::supervisor_restart_window_ms_ceiling)},
      {"journal.max_batch_appends", "most appends one group commit writes",
       integer_between<&settings::journal_max_batch_appends>(l::journal_max_batch_appends_floor,
                                                             l::journal_max_batch_appends_ceiling)},
      {"journal.max_wait_us", "longest an idle group commit waits for more appends before flushing",
       integer_between<&settings::journal_max_wait_us>(l::journal_max_wait_us_floor,
                                                       l::journal_max_wait_us_ceiling)},
      {"journal.synchronous", "SQLite synchronous mode: full survives power loss, normal is faster",
       synchronous_rule()},
      {"journal.migrations", "apply pending schema migrations at start-up, or only check",
       migrations_rule()},
      {"journal.snapshot_every", "events between two snapshots of an entity",
       integer_between<&settings::snapshot_every_events>(l::snapshot_every_events_floor,
                                                         l::snapshot_every_events_ceiling)},
      {"log.level", "least severe level logged", log_level_rule()},
      {"log.format", "auto (text on a terminal, json otherwise), text or json", log_format_rule()},
      {"auth.issuer", "the iss of every token issued, and the only one accepted",
       name_rule<&settings::auth_issuer>()},
      {"auth.audience", "the aud of every token issued, and the only one accepted",
       name_rule<&settings::auth_audience>()},
      {"auth.token_ttl_s", "lifetime of an issued token, in seconds",
       integer_between<&settings::auth_token_ttl_s>(l::token_ttl_s_floor, l::token_ttl_s_ceiling)},
      {"auth.leeway_s", "clock skew forgiven on a token's exp and nbf, in seconds",
       integer_between<&settings::auth_leeway_s>(l::token_leeway_s_floor,
                                                 l::token_leeway_s_ceiling)},
      {"auth.algorithm", "token signature: ES256 (key made on first start) or HS256",
       auth_algorithm_rule()},
      {"auth.hs256_secret", "HMAC key when auth.algorithm is HS256", hs256_secret_rule()},
      {"auth.clients", "API clients: id, secret_hash (payorch hash-secret), scopes",
       auth_clients_rule()},
      {"fx.rates", "static FX rates: 1 base = rate quote", fx_rates_rule()},
  };
  for (const key_spec& spec : provider_keys()) table.push_back(spec);
  for (const key_spec& spec : settlement_keys()) table.push_back(spec);
  return table;
}

/// `value` quoted for an error message, cut short so one bad value cannot flood the line.
std::string shown(std::string_view value) {
  constexpr std::size_t max_shown_bytes = 80;
  if (value.size() <= max_shown_bytes) return quote_toml(value);
  return quote_toml(value.substr(0, max_shown_bytes)) + "...";
}

config_error out_of_range(const key_spec& spec, const integer_rule& rule, std::string_view got,
                          std::string_view origin) {
  return {std::string(spec.key), "must be between " + std::to_string(rule.floor) + " and " +
                                     std::to_string(rule.ceiling) + " (got " + std::string(got) +
                                     " " + std::string(origin) + ")"};
}

}  // namespace

std::string key_spec::env_var() const {
  std::string name = "PAYORCH_";
  for (char c : key) {
    name += c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return name;
}

std::string_view key_spec::section() const {
  auto dot = key.find('.');
  return dot == std::string_view::npos ? std::string_view{} : key.substr(0, dot);
}

std::string_view key_spec::name() const {
  auto dot = key.find('.');
  return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

std::span<const key_spec> key_table() {
  static const std::vector<key_spec> table = make_table();
  return table;
}

const key_spec* find_key(std::string_view key) {
  for (const key_spec& spec : key_table()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

bool is_section(std::string_view name) {
  if (name.empty()) return false;
  return std::any_of(key_table().begin(), key_table().end(),
                     [name](const key_spec& spec) { return spec.section() == name; });
}

std::optional<config_error> apply_integer(const key_spec& spec, std::int64_t value,
                                          std::string_view origin, settings& out) {
  const auto* rule = std::get_if<integer_rule>(&spec.rule);
  if (rule == nullptr) {
    return config_error{
        std::string(spec.key),
        "must be " + expected_of(spec) + ", not an integer (" + std::string(origin) + ")"};
  }
  if (value < rule->floor || value > rule->ceiling) {
    return out_of_range(spec, *rule, std::to_string(value), origin);
  }
  rule->set(out, value);
  return std::nullopt;
}

std::optional<config_error> apply_text(const key_spec& spec, std::string_view text,
                                       std::string_view origin, settings& out) {
  if (const auto* rule = std::get_if<text_rule>(&spec.rule)) {
    if (auto problem = rule->set(out, text)) {
      // A secret is never echoed, not even a wrong one: it may be a real key mistyped; a value
      // that may hold one (a URI with a password) is echoed without it.
      std::string got = rule->secret   ? std::string()
                        : rule->redact ? "got " + shown(rule->redact(text)) + " "
                                       : "got " + shown(text) + " ";
      return config_error{std::string(spec.key), *problem + " (" + got + std::string(origin) + ")"};
    }
    return std::nullopt;
  }
  if (std::holds_alternative<table_list_rule>(spec.rule)) {
    return config_error{std::string(spec.key), "can only be set in the config file, as " +
                                                   expected_of(spec) + " (" + std::string(origin) +
                                                   ")"};
  }
  const auto& rule = std::get<integer_rule>(spec.rule);
  std::int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [stop, ec] = std::from_chars(text.data(), end, value);
  if (ec == std::errc::result_out_of_range && stop == end) {
    return out_of_range(spec, rule, shown(text), origin);
  }
  if (ec != std::errc{} || stop != end || text.empty()) {
    return config_error{std::string(spec.key),
                        "must be an integer (got " + shown(text) + " " + std::string(origin) + ")"};
  }
  if (value < rule.floor || value > rule.ceiling) {
    return out_of_range(spec, rule, shown(text), origin);
  }
  rule.set(out, value);
  return std::nullopt;
}

std::optional<config_error> apply_tables(const key_spec& spec, std::span<const table_item> items,
                                         std::string_view origin, settings& out) {
  const auto* rule = std::get_if<table_list_rule>(&spec.rule);
  if (rule == nullptr) {
    return config_error{std::string(spec.key), "must be " + expected_of(spec) + ", not an array (" +
                                                   std::string(origin) + ")"};
  }
  if (auto problem = rule->set(out, items)) return config_error{std::string(spec.key), *problem};
  return std::nullopt;
}

std::string expected_of(const key_spec& spec) {
  if (const auto* text = std::get_if<text_rule>(&spec.rule)) {
    return "a string (" + std::string(text->expected) + ")";
  }
  if (const auto* list = std::get_if<table_list_rule>(&spec.rule))
    return std::string(list->expected);
  return "an integer";
}

}  // namespace payorch::config::detail
