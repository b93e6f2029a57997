#pragma once
/// ISO 20022 pacs.008.001.08 (FI to FI customer credit transfer) documents for the bank rail.

#include <cstdint>
#include <string>

#include "domain/result.hpp"

namespace payorch::adapters {

/// One customer credit transfer: every mandatory field of docs/providers.md, and a few
/// optional ones (an empty optional text is left out of the document).
struct credit_transfer {
  std::string message_id;                  ///< GrpHdr/MsgId, 1 to 35 characters
  std::int64_t created_at_ms = 0;          ///< GrpHdr/CreDtTm, Unix milliseconds
  std::string settlement_method = "CLRG";  ///< GrpHdr/SttlmInf/SttlmMtd: INDA, INGA, COVE, CLRG
  std::string instruction_id;              ///< PmtId/InstrId, optional, up to 35
  std::string end_to_end_id;               ///< PmtId/EndToEndId, 1 to 35 characters
  std::int64_t amount_minor = 0;           ///< IntrBkSttlmAmt in minor units, positive
  std::string currency;                    ///< IntrBkSttlmAmt/@Ccy, ISO 4217
  std::string settlement_date;             ///< IntrBkSttlmDt, YYYY-MM-DD
  std::string charge_bearer = "SLEV";      ///< ChrgBr: DEBT, CRED, SHAR or SLEV
  std::string debtor_name;                 ///< Dbtr/Nm, 1 to 140 characters
  std::string debtor_iban;                 ///< DbtrAcct/Id/IBAN, optional
  std::string debtor_agent_bic;            ///< DbtrAgt/FinInstnId/BICFI
  std::string creditor_agent_bic;          ///< CdtrAgt/FinInstnId/BICFI
  std::string creditor_name;               ///< Cdtr/Nm, 1 to 140 characters
  std::string creditor_iban;               ///< CdtrAcct/Id/IBAN (print form is accepted)
  std::string remittance_info;             ///< RmtInf/Ustrd, optional, up to 140

  bool operator==(const credit_transfer&) const = default;
};

/// The pacs.008.001.08 XML document holding `transfer` as its one transaction.
///
/// Text is XML-escaped; the amount is written exactly from minor units with the currency's
/// exponent ("1234.56" EUR, "1500" JPY, "1.234" BHD); IBANs are written in electronic form.
/// A missing or malformed field fails (invalid_iban, invalid_bic, unknown_currency,
/// invalid_amount or invalid_argument) with `param` naming the member of credit_transfer and
/// `detail` starting with the field's path in the document.
result<std::string> build_pacs008(const credit_transfer& transfer);

}  // namespace payorch::adapters
