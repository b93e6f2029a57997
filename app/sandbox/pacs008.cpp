#include "app/sandbox/pacs008.hpp"

#include <initializer_list>
#include <optional>

#include "app/sandbox/xml_reader.hpp"
#include "domain/accounts.hpp"
#include "domain/time.hpp"

namespace payorch::app::sandbox {
namespace {

constexpr std::string_view pacs008_namespace = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.";

std::string_view trimmed(std::string_view s) {
  while (!s.empty() &&
         (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

/// Walks `from` along the '/'-separated `path` and reads the fields of one document; the first
/// problem is kept.
class reader {
 public:
  const xml_element* find(const xml_element* from, std::string_view prefix, std::string_view path) {
    if (error || from == nullptr) return nullptr;
    std::string so_far(prefix);
    while (!path.empty()) {
      auto slash = path.find('/');
      auto step = path.substr(0, slash);
      if (!so_far.empty()) so_far += '/';
      so_far += step;
      from = from->child(step);
      if (from == nullptr) {
        fail(so_far, so_far + " is missing");
        return nullptr;
      }
      path = slash == std::string_view::npos ? std::string_view() : path.substr(slash + 1);
    }
    return from;
  }

  /// The trimmed text at `path`, 1..max_length bytes.
  std::string text(const xml_element* from, std::string_view prefix, std::string_view path,
                   std::size_t max_length = 140) {
    const auto* e = find(from, prefix, path);
    if (e == nullptr) return {};
    auto value = trimmed(e->text);
    const auto field = std::string(prefix) + "/" + std::string(path);
    if (value.empty() || value.size() > max_length) {
      fail(field, field + " must have 1 to " + std::to_string(max_length) + " characters");
      return {};
    }
    return std::string(value);
  }

  /// The text at `path`, which must be one of `allowed`.
  std::string code(const xml_element* from, std::string_view prefix, std::string_view path,
                   std::initializer_list<std::string_view> allowed) {
    auto value = text(from, prefix, path, 35);
    if (error) return {};
    for (auto a : allowed)
      if (value == a) return value;
    std::string list;
    for (auto a : allowed) {
      if (!list.empty()) list += ", ";
      list += a;
    }
    const auto field = std::string(prefix) + "/" + std::string(path);
    fail(field, field + " must be one of " + list);
    return {};
  }

  void fail(std::string field, std::string detail) {
    if (!error) error = pacs008_error{std::move(field), std::move(detail)};
  }

  std::optional<pacs008_error> error;
};

bool is_plain_decimal(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  int dots = 0;
  for (char c : s) {
    if (c == '.')
      ++dots;
    else if (c < '0' || c > '9')
      return false;
  }
  return dots <= 1;
}

void read_amount(reader& r, const xml_element* tx, pacs008_transfer& out) {
  const auto* amount = r.find(tx, "CdtTrfTxInf", "IntrBkSttlmAmt");
  if (amount == nullptr) return;
  const auto* code = amount->attribute("Ccy");
  const auto c = code ? currency::from_code(*code) : std::nullopt;
  if (!c)
    return r.fail("CdtTrfTxInf/IntrBkSttlmAmt/@Ccy",
                  "CdtTrfTxInf/IntrBkSttlmAmt needs a Ccy attribute naming an ISO 4217 currency");
  const auto text = trimmed(amount->text);
  const auto bad = [&] {
    r.fail("CdtTrfTxInf/IntrBkSttlmAmt",
           "CdtTrfTxInf/IntrBkSttlmAmt must be a positive amount with at most " +
               std::to_string(c->exponent()) + " decimals");
  };
  if (!is_plain_decimal(text)) return bad();
  auto parsed = money::parse_major(text, *c);
  if (!parsed || !parsed->is_positive()) return bad();
  out.amount = *parsed;
}

void read_group_header(reader& r, const xml_element* transfer, pacs008_transfer& out) {
  const auto* header = r.find(transfer, "", "GrpHdr");
  out.msg_id = r.text(header, "GrpHdr", "MsgId", 35);
  const auto created = r.text(header, "GrpHdr", "CreDtTm", 64);
  if (!r.error) {
    // ISO 20022 allows a date-time without offset; it is read as UTC.
    auto at = parse_rfc3339(created, "CreDtTm");
    if (!at) at = parse_rfc3339(created + "Z", "CreDtTm");
    if (!at)
      r.fail("GrpHdr/CreDtTm", "GrpHdr/CreDtTm must be an ISO 8601 date-time");
    else
      out.created_at_ms = *at;
  }
  if (r.text(header, "GrpHdr", "NbOfTxs", 15) != "1" && !r.error)
    r.fail("GrpHdr/NbOfTxs", "GrpHdr/NbOfTxs must be 1: the rail takes one transfer per message");
  out.settlement_method =
      r.code(header, "GrpHdr", "SttlmInf/SttlmMtd", {"INDA", "INGA", "COVE", "CLRG"});
}

void read_transaction(reader& r, const xml_element* transfer, pacs008_transfer& out) {
  if (r.error) return;
  if (transfer->count("CdtTrfTxInf") != 1)
    return r.fail("CdtTrfTxInf", "CdtTrfTxInf must appear exactly once");
  const auto* tx = transfer->child("CdtTrfTxInf");
  const std::string_view p = "CdtTrfTxInf";
  out.end_to_end_id = r.text(tx, p, "PmtId/EndToEndId", 35);
  read_amount(r, tx, out);
  out.settlement_date = r.text(tx, p, "IntrBkSttlmDt", 10);
  if (!r.error && (out.settlement_date.size() != 10 ||
                   !parse_rfc3339(out.settlement_date + "T00:00:00Z", "IntrBkSttlmDt")))
    r.fail("CdtTrfTxInf/IntrBkSttlmDt", "CdtTrfTxInf/IntrBkSttlmDt must be a date YYYY-MM-DD");
  out.charge_bearer = r.code(tx, p, "ChrgBr", {"DEBT", "CRED", "SHAR", "SLEV"});
  out.debtor_name = r.text(tx, p, "Dbtr/Nm");
  out.debtor_bic = r.text(tx, p, "DbtrAgt/FinInstnId/BICFI", 11);
  if (!r.error && !is_valid_bic(out.debtor_bic))
    r.fail("CdtTrfTxInf/DbtrAgt/FinInstnId/BICFI",
           "CdtTrfTxInf/DbtrAgt/FinInstnId/BICFI is not a valid BIC");
  out.creditor_bic = r.text(tx, p, "CdtrAgt/FinInstnId/BICFI", 11);
  if (!r.error && !is_valid_bic(out.creditor_bic))
    r.fail("CdtTrfTxInf/CdtrAgt/FinInstnId/BICFI",
           "CdtTrfTxInf/CdtrAgt/FinInstnId/BICFI is not a valid BIC");
  out.creditor_name = r.text(tx, p, "Cdtr/Nm");
  out.creditor_iban = r.text(tx, p, "CdtrAcct/Id/IBAN", 42);
  if (!r.error && !is_valid_iban(out.creditor_iban))
    r.fail("CdtTrfTxInf/CdtrAcct/Id/IBAN", "CdtTrfTxInf/CdtrAcct/Id/IBAN is not a valid IBAN");
}

bool in_pacs008_namespace(const xml_element& root) {
  for (const auto& [name, value] : root.attributes)
    if ((name == "xmlns" || name.starts_with("xmlns:")) && value.starts_with(pacs008_namespace))
      return true;
  return false;
}

}  // namespace

std::variant<pacs008_transfer, pacs008_error> parse_pacs008(std::string_view xml) {
  auto parsed = parse_xml(xml);
  if (!parsed.root)
    return pacs008_error{"Document", "the body is not well-formed XML: " + parsed.error};
  const auto& root = *parsed.root;
  if (root.name != "Document" || !in_pacs008_namespace(root))
    return pacs008_error{"Document", "the root must be a Document in the " +
                                         std::string(pacs008_namespace) + "* namespace"};
  reader r;
  const auto* transfer = r.find(&root, "", "FIToFICstmrCdtTrf");
  pacs008_transfer out;
  read_group_header(r, transfer, out);
  read_transaction(r, transfer, out);
  if (r.error) return *r.error;
  return out;
}

}  // namespace payorch::app::sandbox
