#include "adapters/pacs008.hpp"

#include <array>
#include <string_view>

#include "domain/accounts.hpp"
#include "domain/currency.hpp"
#include "domain/money.hpp"
#include "domain/time.hpp"
#include "domain/utf8.hpp"

namespace payorch::adapters {
namespace {

constexpr std::string_view pacs008_namespace = "urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08";
constexpr std::size_t max35 = 35;
constexpr std::size_t max140 = 140;

/// Characters (UTF-8 code points) in `text`, as ISO 20022 counts MaxNNText lengths.
std::size_t characters(std::string_view text) {
  std::size_t count = 0;
  for (char c : text) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  return count;
}

std::string escape_xml(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

/// The largest amount ActiveCurrencyAndAmount holds (totalDigits 18), in minor units.
constexpr std::int64_t max_amount_minor = 999'999'999'999'999'999;

failure bad(errc code, std::string_view path, std::string_view what, std::string_view member) {
  return fail(code, std::string(path) + ": " + std::string(what), std::string(member));
}

/// What is wrong with a text field of 1 (or 0 when optional) to `max` characters, if anything.
std::optional<failure> text_problem(std::string_view text, std::size_t max, bool required,
                                    std::string_view path, std::string_view member) {
  if (required && text.empty()) return bad(errc::invalid_argument, path, "is required", member);
  // The document says it is UTF-8; bytes that are not would make it malformed XML.
  if (!is_utf8_text(text)) return bad(errc::invalid_argument, path, "must be UTF-8 text", member);
  if (characters(text) > max) {
    return bad(errc::invalid_argument, path,
               "must be at most " + std::to_string(max) + " characters", member);
  }
  for (char c : text) {
    // XML 1.0 cannot carry these control characters at all, escaped or not.
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return bad(errc::invalid_argument, path, "must not contain control characters", member);
    }
  }
  if (required && text.find_first_not_of(' ') == std::string_view::npos) {
    return bad(errc::invalid_argument, path, "must not be blank", member);
  }
  return std::nullopt;
}

template <std::size_t N>
bool one_of(std::string_view text, const std::array<std::string_view, N>& words) {
  for (auto w : words) {
    if (w == text) return true;
  }
  return false;
}

std::optional<failure> date_problem(std::string_view date) {
  constexpr std::string_view path = "CdtTrfTxInf/IntrBkSttlmDt";
  const bool shaped = date.size() == 10 && date[4] == '-' && date[7] == '-';
  if (!shaped || !parse_rfc3339(std::string(date) + "T00:00:00Z", "settlement_date")) {
    return bad(errc::invalid_argument, path, "must be a date YYYY-MM-DD", "settlement_date");
  }
  return std::nullopt;
}

/// The first problem of `t`, checked in document order.
std::optional<failure> first_problem(const credit_transfer& t) {
  if (auto p = text_problem(t.message_id, max35, true, "GrpHdr/MsgId", "message_id")) return p;
  if (t.created_at_ms < 0) {
    return bad(errc::invalid_argument, "GrpHdr/CreDtTm", "must not be before 1970",
               "created_at_ms");
  }
  if (!one_of(t.settlement_method,
              std::array<std::string_view, 4>{"INDA", "INGA", "COVE", "CLRG"})) {
    return bad(errc::invalid_argument, "GrpHdr/SttlmInf/SttlmMtd",
               "must be INDA, INGA, COVE or CLRG", "settlement_method");
  }
  if (auto p = text_problem(t.instruction_id, max35, false, "PmtId/InstrId", "instruction_id")) {
    return p;
  }
  if (auto p = text_problem(t.end_to_end_id, max35, true, "PmtId/EndToEndId", "end_to_end_id")) {
    return p;
  }
  if (!currency::from_code(t.currency)) {
    return bad(errc::unknown_currency, "IntrBkSttlmAmt/@Ccy", "must be an ISO 4217 code",
               "currency");
  }
  if (t.amount_minor <= 0) {
    return bad(errc::invalid_amount, "IntrBkSttlmAmt", "must be positive", "amount_minor");
  }
  // ISO 20022 amounts hold at most 18 digits in all.
  if (t.amount_minor > max_amount_minor) {
    return bad(errc::invalid_amount, "IntrBkSttlmAmt", "must have at most 18 digits",
               "amount_minor");
  }
  if (auto p = date_problem(t.settlement_date)) return p;
  if (!one_of(t.charge_bearer, std::array<std::string_view, 4>{"DEBT", "CRED", "SHAR", "SLEV"})) {
    return bad(errc::invalid_argument, "ChrgBr", "must be DEBT, CRED, SHAR or SLEV",
               "charge_bearer");
  }
  if (auto p = text_problem(t.debtor_name, max140, true, "Dbtr/Nm", "debtor_name")) return p;
  if (!t.debtor_iban.empty() && !is_valid_iban(t.debtor_iban)) {
    return bad(errc::invalid_iban, "DbtrAcct/Id/IBAN", "is not a valid IBAN", "debtor_iban");
  }
  if (!is_valid_bic(t.debtor_agent_bic)) {
    return bad(errc::invalid_bic, "DbtrAgt/FinInstnId/BICFI", "is not a valid BIC",
               "debtor_agent_bic");
  }
  if (!is_valid_bic(t.creditor_agent_bic)) {
    return bad(errc::invalid_bic, "CdtrAgt/FinInstnId/BICFI", "is not a valid BIC",
               "creditor_agent_bic");
  }
  if (auto p = text_problem(t.creditor_name, max140, true, "Cdtr/Nm", "creditor_name")) return p;
  if (!is_valid_iban(t.creditor_iban)) {
    return bad(errc::invalid_iban, "CdtrAcct/Id/IBAN", "is not a valid IBAN", "creditor_iban");
  }
  if (auto p = text_problem(t.remittance_info, max140, false, "RmtInf/Ustrd", "remittance_info")) {
    return p;
  }
  return std::nullopt;
}

/// Appends `<tag>escaped text</tag>` on its own line at `depth`.
void element(std::string& xml, int depth, std::string_view tag, std::string_view text) {
  xml.append(static_cast<std::size_t>(depth) * 2, ' ');
  xml.append("<").append(tag).append(">").append(escape_xml(text));
  xml.append("</").append(tag).append(">\n");
}

void open(std::string& xml, int depth, std::string_view tag) {
  xml.append(static_cast<std::size_t>(depth) * 2, ' ').append("<").append(tag).append(">\n");
}

void close(std::string& xml, int depth, std::string_view tag) {
  xml.append(static_cast<std::size_t>(depth) * 2, ' ').append("</").append(tag).append(">\n");
}

/// `<Outer><FinInstnId><BICFI>bic</BICFI></FinInstnId></Outer>`
void agent(std::string& xml, int depth, std::string_view tag, std::string_view bic) {
  open(xml, depth, tag);
  open(xml, depth + 1, "FinInstnId");
  element(xml, depth + 2, "BICFI", bic);
  close(xml, depth + 1, "FinInstnId");
  close(xml, depth, tag);
}

/// `<Outer><Id><IBAN>iban</IBAN></Id></Outer>`
void account(std::string& xml, int depth, std::string_view tag, std::string_view iban) {
  open(xml, depth, tag);
  open(xml, depth + 1, "Id");
  element(xml, depth + 2, "IBAN", normalize_iban(iban));
  close(xml, depth + 1, "Id");
  close(xml, depth, tag);
}

/// `<Outer><Nm>name</Nm></Outer>`
void party(std::string& xml, int depth, std::string_view tag, std::string_view name) {
  open(xml, depth, tag);
  element(xml, depth + 1, "Nm", name);
  close(xml, depth, tag);
}

void group_header(std::string& xml, const credit_transfer& t) {
  open(xml, 2, "GrpHdr");
  element(xml, 3, "MsgId", t.message_id);
  element(xml, 3, "CreDtTm", format_rfc3339_utc(t.created_at_ms));
  element(xml, 3, "NbOfTxs", "1");
  open(xml, 3, "SttlmInf");
  element(xml, 4, "SttlmMtd", t.settlement_method);
  close(xml, 3, "SttlmInf");
  close(xml, 2, "GrpHdr");
}

void transaction(std::string& xml, const credit_transfer& t) {
  open(xml, 2, "CdtTrfTxInf");
  open(xml, 3, "PmtId");
  if (!t.instruction_id.empty()) element(xml, 4, "InstrId", t.instruction_id);
  element(xml, 4, "EndToEndId", t.end_to_end_id);
  close(xml, 3, "PmtId");
  const auto ccy = *currency::from_code(t.currency);
  xml.append(6, ' ').append("<IntrBkSttlmAmt Ccy=\"").append(ccy.code()).append("\">");
  xml.append(money::of_minor(t.amount_minor, ccy).to_major_string());
  xml.append("</IntrBkSttlmAmt>\n");
  element(xml, 3, "IntrBkSttlmDt", t.settlement_date);
  element(xml, 3, "ChrgBr", t.charge_bearer);
  party(xml, 3, "Dbtr", t.debtor_name);
  if (!t.debtor_iban.empty()) account(xml, 3, "DbtrAcct", t.debtor_iban);
  agent(xml, 3, "DbtrAgt", t.debtor_agent_bic);
  agent(xml, 3, "CdtrAgt", t.creditor_agent_bic);
  party(xml, 3, "Cdtr", t.creditor_name);
  account(xml, 3, "CdtrAcct", t.creditor_iban);
  if (!t.remittance_info.empty()) {
    open(xml, 3, "RmtInf");
    element(xml, 4, "Ustrd", t.remittance_info);
    close(xml, 3, "RmtInf");
  }
  close(xml, 2, "CdtTrfTxInf");
}

}  // namespace

result<std::string> build_pacs008(const credit_transfer& transfer) {
  if (auto problem = first_problem(transfer)) return std::move(*problem);
  std::string xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  xml.append("<Document xmlns=\"").append(pacs008_namespace).append("\">\n");
  open(xml, 1, "FIToFICstmrCdtTrf");
  group_header(xml, transfer);
  transaction(xml, transfer);
  close(xml, 1, "FIToFICstmrCdtTrf");
  xml.append("</Document>\n");
  return xml;
}

}  // namespace payorch::adapters
