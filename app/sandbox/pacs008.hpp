#pragma once
/// Reads the one credit transfer of an ISO 20022 pacs.008 (FIToFICstmrCdtTrf) document and
/// checks the fields the rail needs.
///
/// The root must be `Document` in a `urn:iso:std:iso:20022:tech:xsd:pacs.008.001.*`
/// namespace, holding `FIToFICstmrCdtTrf` with a group header (`MsgId` 1..35, `CreDtTm` an
/// ISO date-time, `NbOfTxs` = 1, `SttlmInf/SttlmMtd` INDA|INGA|COVE|CLRG) and exactly one
/// `CdtTrfTxInf` (`PmtId/EndToEndId` 1..35, `IntrBkSttlmAmt` a positive amount with at most
/// the currency's decimals and an ISO 4217 `Ccy`, `IntrBkSttlmDt` YYYY-MM-DD, `ChrgBr`
/// DEBT|CRED|SHAR|SLEV, `Dbtr/Nm` and `Cdtr/Nm` 1..140, `DbtrAgt` and `CdtrAgt`
/// `FinInstnId/BICFI` valid BICs, `CdtrAcct/Id/IBAN` a valid IBAN). Text is trimmed of
/// surrounding whitespace. Other elements are ignored.

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "domain/money.hpp"

namespace payorch::app::sandbox {

struct pacs008_transfer {
  std::string msg_id;
  std::int64_t created_at_ms = 0;
  std::string settlement_method;
  std::string end_to_end_id;
  money amount;
  std::string settlement_date;  ///< YYYY-MM-DD
  std::string charge_bearer;
  std::string debtor_name;
  std::string debtor_bic;
  std::string creditor_bic;
  std::string creditor_name;
  std::string creditor_iban;
};

/// Why a document was refused: the field at fault (a path such as
/// "CdtTrfTxInf/CdtrAcct/Id/IBAN", or "Document" for XML that is not well-formed) and why.
struct pacs008_error {
  std::string field;
  std::string detail;
};

std::variant<pacs008_transfer, pacs008_error> parse_pacs008(std::string_view xml);

}  // namespace payorch::app::sandbox
