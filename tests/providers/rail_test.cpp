// Tests of the sandbox's bank rail: pacs.008 validation, settlement and return callbacks,
// idempotent replay and refused duplicate EndToEndIds.
#include "tests/providers/sandbox_fixture.hpp"

namespace payorch::testing {
namespace {

struct transfer {
  std::string end_to_end_id = "E2E-0001";
  std::string creditor_name = "Ada Creditor";
  std::string iban = "DE89370400440532013000";
  std::string bic = "DEUTDEFFXXX";
  std::string amount = "150.25";
  std::string currency = "EUR";
  std::string tx_count = "1";
  std::string extra_tx;  ///< a second CdtTrfTxInf, raw
};

std::string pacs008(const transfer& t) {
  const std::string tx =
      "<CdtTrfTxInf>"
      "<PmtId><InstrId>I-1</InstrId><EndToEndId>" +
      t.end_to_end_id +
      "</EndToEndId></PmtId>"
      "<IntrBkSttlmAmt Ccy=\"" +
      t.currency + "\">" + t.amount +
      "</IntrBkSttlmAmt>"
      "<IntrBkSttlmDt>2025-03-03</IntrBkSttlmDt>"
      "<ChrgBr>SLEV</ChrgBr>"
      "<Dbtr><Nm>Payorch Pod Treasury</Nm></Dbtr>"
      "<DbtrAgt><FinInstnId><BICFI>COBADEFFXXX</BICFI></FinInstnId></DbtrAgt>"
      "<CdtrAgt><FinInstnId><BICFI>" +
      t.bic +
      "</BICFI></FinInstnId></CdtrAgt>"
      "<Cdtr><Nm>" +
      t.creditor_name +
      "</Nm></Cdtr>"
      "<CdtrAcct><Id><IBAN>" +
      t.iban +
      "</IBAN></Id></CdtrAcct>"
      "</CdtTrfTxInf>";
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\">"
         "<FIToFICstmrCdtTrf><GrpHdr><MsgId>MSG-1</MsgId>"
         "<CreDtTm>2025-03-03T10:00:00Z</CreDtTm><NbOfTxs>" +
         t.tx_count +
         "</NbOfTxs>"
         "<SttlmInf><SttlmMtd>CLRG</SttlmMtd></SttlmInf></GrpHdr>" +
         tx + t.extra_tx + "</FIToFICstmrCdtTrf></Document>";
}

class sandbox_rail_test : public sandbox_test {
 protected:
  http_reply submit(const std::string& document, std::string key = {},
                    std::string callback_url = {}) {
    header_list headers;
    headers.emplace_back("Idempotency-Key", key.empty() ? fresh_key() : key);
    if (!callback_url.empty()) headers.emplace_back("X-Callback-Url", callback_url);
    return post_raw("/rail/v1/payments", document, "application/xml", std::move(headers));
  }

  /// Expects a 400 invalid_pacs008 naming `field`.
  void expect_refused(const transfer& t, const std::string& field) {
    expect_error(submit(pacs008(t)), 400, "invalid_pacs008", field);
  }
};

// A valid transfer is ACCEPTED, then SETTLED, and the settlement is posted signed.
TEST_F(sandbox_rail_test, accepts_then_settles_with_signed_callback) {
  start();
  auto r = submit(pacs008({}), {}, receiver_.url("rail"));
  ASSERT_EQ(r.status, 202) << r.body;
  auto v = json_of(r);
  EXPECT_EQ(text_of(v, "status"), "ACCEPTED");
  EXPECT_EQ(text_of(v, "end_to_end_id"), "E2E-0001");
  const auto id = text_of(v, "payment_id");
  auto got = receiver_.wait_for([](const auto& c) { return !c.empty(); });
  ASSERT_EQ(got.size(), 1u);
  EXPECT_TRUE(signature_valid(got[0]));
  auto body = json_of(got[0]);
  EXPECT_EQ(text_of(body, "status"), "SETTLED");
  EXPECT_EQ(text_of(body, "payment_id"), id);
  EXPECT_EQ(text_of(body, "end_to_end_id"), "E2E-0001");
  EXPECT_EQ(got[0].header("webhook-id"), "wh_" + id + "_SETTLED");
  auto read = json_of(get("/rail/v1/payments/" + id));
  EXPECT_EQ(text_of(read, "status"), "SETTLED");
  EXPECT_EQ(int_of(read, "amount_minor"), 15025);
  EXPECT_EQ(text_of(read, "currency"), "EUR");
}

// A creditor whose name contains "return" gets the payment RETURNED with AC04.
TEST_F(sandbox_rail_test, returns_with_ac04) {
  start();
  transfer t;
  t.end_to_end_id = "E2E-RET";
  t.creditor_name = "Please RETURN Me Ltd";
  auto r = submit(pacs008(t), {}, receiver_.url("rail"));
  ASSERT_EQ(r.status, 202) << r.body;
  auto got = receiver_.wait_for([](const auto& c) { return !c.empty(); });
  ASSERT_EQ(got.size(), 1u);
  auto body = json_of(got[0]);
  EXPECT_EQ(text_of(body, "status"), "RETURNED");
  EXPECT_EQ(text_of(body, "reason_code"), "AC04");
  EXPECT_EQ(text_of(json_of(get("/rail/v1/payments/" + text_of(json_of(r), "payment_id"))),
                    "reason_code"),
            "AC04");
}

// The same key replays the first answer; the same EndToEndId under another key is 409; the
// statistics show one accepted submission.
TEST_F(sandbox_rail_test, replay_and_duplicate_end_to_end_id) {
  start();
  const auto key = fresh_key();
  auto first = submit(pacs008({}), key);
  ASSERT_EQ(first.status, 202) << first.body;
  auto replay = submit(pacs008({}), key);
  EXPECT_EQ(replay.status, 202);
  EXPECT_EQ(replay.body, first.body);
  expect_error(submit(pacs008({})), 409, "duplicate_end_to_end_id", "CdtTrfTxInf/PmtId/EndToEndId");
  transfer other;
  other.end_to_end_id = "E2E-0002";
  EXPECT_EQ(submit(pacs008(other)).status, 202);
  auto s = stats();
  const auto& per_id = s.at("rail_submissions").as_object();
  ASSERT_TRUE(per_id.contains("E2E-0001")) << s;
  EXPECT_EQ(int_of(per_id.at("E2E-0001"), "submissions"), 2);
  EXPECT_EQ(int_of(per_id.at("E2E-0001"), "accepted"), 1);
  EXPECT_EQ(int_of(per_id.at("E2E-0001"), "refused_duplicates"), 1);
  EXPECT_EQ(int_of(per_id.at("E2E-0002"), "accepted"), 1);
  EXPECT_EQ(stat("rail", "replays"), 1);
}

// Documents that are not well-formed XML are 400 invalid_pacs008 on "Document".
TEST_F(sandbox_rail_test, malformed_xml_is_refused) {
  start();
  const auto good = pacs008({});
  for (const std::string& doc :
       {std::string(), std::string("not xml"), good.substr(0, good.size() - 5),
        std::string("<Document><a></b></Document>"),
        std::string("<!DOCTYPE x [<!ENTITY e \"boom\">]><Document>&e;</Document>"),
        std::string("<Document a=1/>"), std::string("<Document a='1' a='2'/>"),
        std::string("<Document>&unknown;</Document>"), std::string("<Document/><Document/>"),
        good + "trailing", std::string("<Document>&#0;</Document>")}) {
    SCOPED_TRACE(doc.substr(0, 60));
    expect_error(submit(doc), 400, "invalid_pacs008", "Document");
  }
  // Well-formed but not a pacs.008 document.
  expect_error(submit("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.001.001.09\"/>"), 400,
               "invalid_pacs008", "Document");
  expect_error(submit("<Other xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\"/>"), 400,
               "invalid_pacs008", "Document");
}

// A missing or malformed mandatory field is 400 naming it.
TEST_F(sandbox_rail_test, bad_fields_are_named) {
  start();
  const auto with = [](auto change) {
    transfer t;
    change(t);
    return t;
  };
  expect_refused(with([](auto& t) { t.iban = "DE89370400440532013001"; }),
                 "CdtTrfTxInf/CdtrAcct/Id/IBAN");
  expect_refused(with([](auto& t) { t.bic = "DEUT"; }), "CdtTrfTxInf/CdtrAgt/FinInstnId/BICFI");
  expect_refused(with([](auto& t) { t.amount = "-5.00"; }), "CdtTrfTxInf/IntrBkSttlmAmt");
  expect_refused(with([](auto& t) { t.amount = "1.234"; }), "CdtTrfTxInf/IntrBkSttlmAmt");
  expect_refused(with([](auto& t) { t.amount = "1e3"; }), "CdtTrfTxInf/IntrBkSttlmAmt");
  expect_refused(with([](auto& t) { t.amount = "0"; }), "CdtTrfTxInf/IntrBkSttlmAmt");
  expect_refused(with([](auto& t) { t.currency = "ZZZ"; }), "CdtTrfTxInf/IntrBkSttlmAmt/@Ccy");
  expect_refused(with([](auto& t) { t.end_to_end_id = ""; }), "CdtTrfTxInf/PmtId/EndToEndId");
  expect_refused(with([](auto& t) { t.end_to_end_id = std::string(36, 'x'); }),
                 "CdtTrfTxInf/PmtId/EndToEndId");
  expect_refused(with([](auto& t) { t.creditor_name = "  "; }), "CdtTrfTxInf/Cdtr/Nm");
  expect_refused(with([](auto& t) { t.tx_count = "2"; }), "GrpHdr/NbOfTxs");
  expect_refused(with([](auto& t) { t.extra_tx = "<CdtTrfTxInf/>"; }), "CdtTrfTxInf");
  auto doc = pacs008({});
  auto without = [&](const std::string& from, const std::string& to) {
    auto d = doc;
    auto a = d.find(from);
    auto b = d.find(to, a);
    return d.erase(a, b + to.size() - a);
  };
  expect_error(submit(without("<ChrgBr>", "</ChrgBr>")), 400, "invalid_pacs008",
               "CdtTrfTxInf/ChrgBr");
  expect_error(submit(without("<DbtrAgt>", "</DbtrAgt>")), 400, "invalid_pacs008",
               "CdtTrfTxInf/DbtrAgt");
  expect_error(submit(without("<GrpHdr>", "</GrpHdr>")), 400, "invalid_pacs008", "GrpHdr");
  expect_error(submit(without("<SttlmInf>", "</SttlmInf>")), 400, "invalid_pacs008",
               "GrpHdr/SttlmInf");
  auto bad_date = doc;
  bad_date.replace(bad_date.find("2025-03-03<"), 10, "2025-02-30");
  expect_error(submit(bad_date), 400, "invalid_pacs008", "CdtTrfTxInf/IntrBkSttlmDt");
  EXPECT_TRUE(stats().at("rail_submissions").as_object().empty());
}

// Prefixed names, entities, comments and CDATA are read; the header and media type are checked.
TEST_F(sandbox_rail_test, xml_forms_headers_and_unknown_ids) {
  start();
  transfer t;
  t.creditor_name = "Smith &amp; <![CDATA[Sons]]><!-- note --> &#x4C;td";
  t.end_to_end_id = "E2E-FORMS";
  auto doc = pacs008(t);
  auto r = submit(doc);
  ASSERT_EQ(r.status, 202) << r.body;
  transfer plain;
  plain.end_to_end_id = "E2E-PREFIXED";
  std::string prefixed = pacs008(plain);
  for (const char* tag : {"Document", "FIToFICstmrCdtTrf"}) {
    for (const std::string& open : {std::string("<") + tag, std::string("</") + tag}) {
      auto at = prefixed.find(open);
      prefixed.insert(at + open.size() - std::string(tag).size(), "p:");
    }
  }
  prefixed.replace(prefixed.find("xmlns="), 6, "xmlns:p=");
  auto read = submit(prefixed);
  EXPECT_EQ(read.status, 202) << read.body;
  EXPECT_EQ(text_of(json_of(read), "end_to_end_id"), "E2E-PREFIXED");
  EXPECT_EQ(post_raw("/rail/v1/payments", pacs008({}), "application/json",
                     {{"Idempotency-Key", fresh_key()}})
                .status,
            415);
  expect_error(submit(pacs008({}), {}, "mailto:ops@example.com"), 400, "invalid_field",
               "X-Callback-Url");
  expect_error(get("/rail/v1/payments/rpay_unknown"), 404, "not_found");
}

}  // namespace
}  // namespace payorch::testing
