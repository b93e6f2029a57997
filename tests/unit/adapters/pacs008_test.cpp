// pacs.008.001.08 documents: mandatory fields, escaping, exact amounts, refused input.
#include "adapters/pacs008.hpp"

#include <gtest/gtest.h>

#include <functional>

namespace payorch::adapters {
namespace {

credit_transfer good_transfer() {
  credit_transfer t;
  t.message_id = "MSG-0001";
  t.created_at_ms = 1'716'387'062'000;  // 2024-05-22T14:11:02Z
  t.end_to_end_id = "E2E-0001";
  t.amount_minor = 123456;
  t.currency = "EUR";
  t.settlement_date = "2024-05-23";
  t.debtor_name = "Crowdpod Pool 7";
  t.debtor_iban = "DE89 3704 0044 0532 0130 00";
  t.debtor_agent_bic = "COBADEFFXXX";
  t.creditor_agent_bic = "BNPAFRPP";
  t.creditor_name = "Jeanne Dupont";
  t.creditor_iban = "FR1420041010050500013M02606";
  return t;
}

bool has(const std::string& xml, std::string_view fragment) {
  return xml.find(fragment) != std::string::npos;
}

// Goal: every mandatory field of docs/providers.md is present with its value.
TEST(pacs008, holds_every_mandatory_field) {
  auto xml = build_pacs008(good_transfer());
  ASSERT_TRUE(xml) << xml.error().detail;
  const std::string& d = *xml;
  EXPECT_TRUE(d.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
  EXPECT_TRUE(has(d, "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\">"));
  EXPECT_TRUE(has(d, "<FIToFICstmrCdtTrf>"));
  EXPECT_TRUE(has(d, "<MsgId>MSG-0001</MsgId>"));
  EXPECT_TRUE(has(d, "<CreDtTm>2024-05-22T14:11:02Z</CreDtTm>"));
  EXPECT_TRUE(has(d, "<NbOfTxs>1</NbOfTxs>"));
  EXPECT_TRUE(has(d, "<SttlmInf>\n        <SttlmMtd>CLRG</SttlmMtd>\n      </SttlmInf>"));
  EXPECT_TRUE(has(d, "<PmtId>\n        <EndToEndId>E2E-0001</EndToEndId>\n      </PmtId>"));
  EXPECT_TRUE(has(d, "<IntrBkSttlmAmt Ccy=\"EUR\">1234.56</IntrBkSttlmAmt>"));
  EXPECT_TRUE(has(d, "<IntrBkSttlmDt>2024-05-23</IntrBkSttlmDt>"));
  EXPECT_TRUE(has(d, "<ChrgBr>SLEV</ChrgBr>"));
  EXPECT_TRUE(has(d, "<Dbtr>\n        <Nm>Crowdpod Pool 7</Nm>\n      </Dbtr>"));
  EXPECT_TRUE(has(d, "<DbtrAcct>\n        <Id>\n          <IBAN>DE89370400440532013000</IBAN>"));
  EXPECT_TRUE(has(d, "<DbtrAgt>\n        <FinInstnId>\n          <BICFI>COBADEFFXXX</BICFI>"));
  EXPECT_TRUE(has(d, "<CdtrAgt>\n        <FinInstnId>\n          <BICFI>BNPAFRPP</BICFI>"));
  EXPECT_TRUE(has(d, "<Cdtr>\n        <Nm>Jeanne Dupont</Nm>\n      </Cdtr>"));
  EXPECT_TRUE(
      has(d, "<CdtrAcct>\n        <Id>\n          <IBAN>FR1420041010050500013M02606</IBAN>"));
  EXPECT_TRUE(d.ends_with("  </FIToFICstmrCdtTrf>\n</Document>\n"));
  // Optional parts are left out when empty.
  EXPECT_FALSE(has(d, "<InstrId>"));
  EXPECT_FALSE(has(d, "<RmtInf>"));
}

// Goal: the schema's element order holds (Dbtr before DbtrAgt before CdtrAgt before Cdtr ...).
TEST(pacs008, elements_follow_the_schema_order) {
  auto t = good_transfer();
  t.instruction_id = "INSTR-1";
  t.remittance_info = "Invoice 42";
  const std::string d = build_pacs008(t).value();
  std::size_t at = 0;
  for (std::string_view tag : {"<GrpHdr>",      "<MsgId>",         "<CreDtTm>",
                               "<NbOfTxs>",     "<SttlmInf>",      "</GrpHdr>",
                               "<CdtTrfTxInf>", "<PmtId>",         "<InstrId>INSTR-1",
                               "<EndToEndId>",  "<IntrBkSttlmAmt", "<IntrBkSttlmDt>",
                               "<ChrgBr>",      "<Dbtr>",          "<DbtrAcct>",
                               "<DbtrAgt>",     "<CdtrAgt>",       "<Cdtr>",
                               "<CdtrAcct>",    "<RmtInf>",        "<Ustrd>Invoice 42</Ustrd>",
                               "</CdtTrfTxInf>"}) {
    const auto found = d.find(tag, at);
    ASSERT_NE(found, std::string::npos) << tag << " missing or out of order";
    at = found;
  }
}

// Goal: text is XML-escaped, so names with markup characters cannot break the document.
TEST(pacs008, escapes_xml) {
  auto t = good_transfer();
  t.creditor_name = R"(Smith & "Sons" <Ltd> 'UK')";
  t.remittance_info = "a<b>&c";
  t.end_to_end_id = "E2E&1";
  const std::string d = build_pacs008(t).value();
  EXPECT_TRUE(has(d, "<Nm>Smith &amp; &quot;Sons&quot; &lt;Ltd&gt; &apos;UK&apos;</Nm>"));
  EXPECT_TRUE(has(d, "<Ustrd>a&lt;b&gt;&amp;c</Ustrd>"));
  EXPECT_TRUE(has(d, "<EndToEndId>E2E&amp;1</EndToEndId>"));
  EXPECT_FALSE(has(d, "<Ltd>"));
}

// Goal: amounts are written exactly from minor units with the currency's exponent.
TEST(pacs008, formats_amounts_with_the_currency_exponent) {
  auto amount_of = [](std::string currency, std::int64_t minor) {
    auto t = good_transfer();
    t.currency = std::move(currency);
    t.amount_minor = minor;
    const std::string d = build_pacs008(t).value();
    const auto open = d.find("<IntrBkSttlmAmt");
    return d.substr(open, d.find("</IntrBkSttlmAmt>") - open);
  };
  EXPECT_EQ(amount_of("EUR", 123456), "<IntrBkSttlmAmt Ccy=\"EUR\">1234.56");
  EXPECT_EQ(amount_of("EUR", 5), "<IntrBkSttlmAmt Ccy=\"EUR\">0.05");
  EXPECT_EQ(amount_of("EUR", 100), "<IntrBkSttlmAmt Ccy=\"EUR\">1.00");
  EXPECT_EQ(amount_of("JPY", 1500), "<IntrBkSttlmAmt Ccy=\"JPY\">1500");
  EXPECT_EQ(amount_of("BHD", 1234), "<IntrBkSttlmAmt Ccy=\"BHD\">1.234");
  EXPECT_EQ(amount_of("BHD", 7), "<IntrBkSttlmAmt Ccy=\"BHD\">0.007");
  EXPECT_EQ(amount_of("EUR", 999'999'999'999'999'999),  // the most ISO 20022's 18 digits hold
            "<IntrBkSttlmAmt Ccy=\"EUR\">9999999999999999.99");
}

/// Checks that `change` makes the transfer fail with `code` naming `member` and `path`.
void expect_refused(const std::function<void(credit_transfer&)>& change, errc code,
                    std::string_view member, std::string_view path) {
  auto t = good_transfer();
  change(t);
  auto xml = build_pacs008(t);
  ASSERT_FALSE(xml) << member;
  EXPECT_EQ(xml.error().code, code) << member << ": " << xml.error().detail;
  EXPECT_EQ(xml.error().param, member);
  EXPECT_TRUE(xml.error().detail.starts_with(path)) << xml.error().detail;
}

// Goal: bad IBANs and BICs are refused, naming the field.
TEST(pacs008, refuses_bad_iban_and_bic_naming_the_field) {
  expect_refused([](auto& t) { t.creditor_iban = "FR1420041010050500013M02607"; },
                 errc::invalid_iban, "creditor_iban", "CdtrAcct/Id/IBAN");
  expect_refused([](auto& t) { t.creditor_iban = ""; }, errc::invalid_iban, "creditor_iban",
                 "CdtrAcct/Id/IBAN");
  expect_refused([](auto& t) { t.debtor_iban = "de89370400440532013000"; }, errc::invalid_iban,
                 "debtor_iban", "DbtrAcct/Id/IBAN");
  expect_refused([](auto& t) { t.debtor_agent_bic = "COBADEF"; }, errc::invalid_bic,
                 "debtor_agent_bic", "DbtrAgt/FinInstnId/BICFI");
  expect_refused([](auto& t) { t.creditor_agent_bic = "bnpafrpp"; }, errc::invalid_bic,
                 "creditor_agent_bic", "CdtrAgt/FinInstnId/BICFI");
  expect_refused([](auto& t) { t.creditor_agent_bic = "BNPAZZPP"; }, errc::invalid_bic,
                 "creditor_agent_bic", "CdtrAgt/FinInstnId/BICFI");
}

// Goal: every other mandatory field is checked, naming the field.
TEST(pacs008, refuses_missing_or_malformed_fields) {
  expect_refused([](auto& t) { t.message_id = ""; }, errc::invalid_argument, "message_id",
                 "GrpHdr/MsgId");
  expect_refused([](auto& t) { t.message_id = std::string(36, 'M'); }, errc::invalid_argument,
                 "message_id", "GrpHdr/MsgId");
  expect_refused([](auto& t) { t.created_at_ms = -1; }, errc::invalid_argument, "created_at_ms",
                 "GrpHdr/CreDtTm");
  expect_refused([](auto& t) { t.settlement_method = "WIRE"; }, errc::invalid_argument,
                 "settlement_method", "GrpHdr/SttlmInf/SttlmMtd");
  expect_refused([](auto& t) { t.end_to_end_id = "   "; }, errc::invalid_argument, "end_to_end_id",
                 "PmtId/EndToEndId");
  expect_refused([](auto& t) { t.end_to_end_id = "a\nb"; }, errc::invalid_argument, "end_to_end_id",
                 "PmtId/EndToEndId");
  expect_refused([](auto& t) { t.currency = "XYZ"; }, errc::unknown_currency, "currency",
                 "IntrBkSttlmAmt/@Ccy");
  expect_refused([](auto& t) { t.amount_minor = 0; }, errc::invalid_amount, "amount_minor",
                 "IntrBkSttlmAmt");
  expect_refused([](auto& t) { t.amount_minor = -5; }, errc::invalid_amount, "amount_minor",
                 "IntrBkSttlmAmt");
  expect_refused([](auto& t) { t.amount_minor = 1'000'000'000'000'000'000; }, errc::invalid_amount,
                 "amount_minor", "IntrBkSttlmAmt");  // 19 digits
  expect_refused([](auto& t) { t.creditor_name = "Jeanne \xff"; }, errc::invalid_argument,
                 "creditor_name", "Cdtr/Nm");
  expect_refused([](auto& t) { t.settlement_date = "2024-02-30"; }, errc::invalid_argument,
                 "settlement_date", "CdtTrfTxInf/IntrBkSttlmDt");
  expect_refused([](auto& t) { t.settlement_date = "2024-5-23"; }, errc::invalid_argument,
                 "settlement_date", "CdtTrfTxInf/IntrBkSttlmDt");
  expect_refused([](auto& t) { t.charge_bearer = "OUR"; }, errc::invalid_argument, "charge_bearer",
                 "ChrgBr");
  expect_refused([](auto& t) { t.debtor_name = ""; }, errc::invalid_argument, "debtor_name",
                 "Dbtr/Nm");
  expect_refused([](auto& t) { t.creditor_name = std::string(141, 'n'); }, errc::invalid_argument,
                 "creditor_name", "Cdtr/Nm");
  expect_refused([](auto& t) { t.remittance_info = std::string(141, 'r'); }, errc::invalid_argument,
                 "remittance_info", "RmtInf/Ustrd");
  expect_refused([](auto& t) { t.instruction_id = std::string(36, 'i'); }, errc::invalid_argument,
                 "instruction_id", "PmtId/InstrId");
  // Lengths count characters, not bytes: 140 two-byte characters fit.
  auto t = good_transfer();
  std::string name;
  for (int i = 0; i < 140; ++i) name += "é";
  t.creditor_name = name;
  EXPECT_TRUE(build_pacs008(t));
  t.amount_minor = 999'999'999'999'999'999;  // 18 digits fit
  EXPECT_TRUE(build_pacs008(t));
}

}  // namespace
}  // namespace payorch::adapters
