// Tests of the sandbox's pure parts in-process: the embedded sanctions list, the CSV reader,
// the FX table, the XML reader and the risk rules.
#include <gtest/gtest.h>

#include <set>

#include "app/sandbox/fx_table.hpp"
#include "app/sandbox/pacs008.hpp"
#include "app/sandbox/risk_rules.hpp"
#include "app/sandbox/sanctions_list.hpp"
#include "app/sandbox/xml_reader.hpp"

namespace payorch::app::sandbox {
namespace {

// The embedded list parses: a few hundred unique entries of every type, with accents and aliases.
TEST(sandbox_sanctions_list, embedded_list_is_well_formed) {
  auto parsed = sanctions_list::parse(embedded_sanctions_csv());
  ASSERT_TRUE(std::holds_alternative<sanctions_list>(parsed)) << std::get<std::string>(parsed);
  const auto& parties = std::get<sanctions_list>(parsed).parties();
  EXPECT_GE(parties.size(), 300u);
  std::set<std::int64_t> ids;
  std::set<std::string> types;
  std::size_t accented = 0;
  std::size_t with_aliases = 0;
  for (const auto& p : parties) {
    ids.insert(p.ent_num);
    types.insert(p.type);
    accented += std::any_of(p.name.begin(), p.name.end(),
                            [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
    with_aliases += p.aliases.empty() ? 0 : 1;
    EXPECT_EQ(p.comparable.size(), 1 + p.aliases.size());
    EXPECT_EQ(p.country.size(), 2u) << p.name;
    EXPECT_TRUE(p.program.starts_with("SBX-")) << p.name;  // fictional programs only
  }
  EXPECT_EQ(ids.size(), parties.size());
  EXPECT_EQ(types, (std::set<std::string>{"entity", "individual", "vessel"}));
  EXPECT_GE(accented, 20u);
  EXPECT_GE(with_aliases, 30u);
}

// Broken CSV is refused naming the line.
TEST(sandbox_sanctions_list, bad_csv_is_refused) {
  const std::string header = "ent_num,name,type,program,country,aliases\n";
  for (const auto& [csv, line] : std::vector<std::pair<std::string, std::string>>{
           {header + "1,\"open,individual,P,DE,\n", "line 2"},
           {header + "1,A,individual,P,DE\n", "line 2"},
           {header + "1,A,individual,P,DE,\n2,B,robot,P,DE,\n", "line 3"},
           {header + "x,A,individual,P,DE,\n", "line 2"},
           {header + "1,,individual,P,DE,\n", "line 2"},
           {header + "1,\"A\"b,individual,P,DE,\n", "line 2"},
           {header, "no entries"}}) {
    auto parsed = sanctions_list::parse(csv);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << csv;
    EXPECT_NE(std::get<std::string>(parsed).find(line), std::string::npos)
        << std::get<std::string>(parsed);
  }
  auto ok = sanctions_list::parse(header + "7,\"Doe, \"\"J\"\"\",individual,P,DE,X;;Y\r\n");
  ASSERT_TRUE(std::holds_alternative<sanctions_list>(ok));
  const auto& p = std::get<sanctions_list>(ok).parties().at(0);
  EXPECT_EQ(p.name, "Doe, \"J\"");
  EXPECT_EQ(p.aliases, (std::vector<std::string>{"X", "Y"}));
}

// Screening caps the matches and reports the alias that scored best.
TEST(sandbox_sanctions_list, screen_reports_best_alias) {
  auto list = std::get<sanctions_list>(
      sanctions_list::parse("ent_num,name,type,program,country,aliases\n"
                            "1,Korvath Maritime,entity,P,CY,Korvath Shipping\n"
                            "2,Other Name,individual,P,DE,\n"));
  auto matches = list.screen("korvath shipping", "");
  ASSERT_EQ(matches.size(), 1u);
  EXPECT_EQ(matches[0].party->ent_num, 1);
  EXPECT_EQ(matches[0].matched_name, "Korvath Shipping");
  EXPECT_EQ(matches[0].score_bp, 10000);
  EXPECT_TRUE(list.screen("", "").empty());
}

// Rates are a function of seed and time only, with six decimals, and unknown pairs have none.
TEST(sandbox_fx_table, rates_depend_on_seed_and_bucket) {
  const auto eur = *currency::from_code("EUR");
  const auto usd = *currency::from_code("USD");
  const auto sek = *currency::from_code("SEK");
  const fx_table a(5);
  const fx_table b(5);
  EXPECT_EQ(a.rate_micro(eur, usd, 1'000), b.rate_micro(eur, usd, 9'999));  // one bucket
  EXPECT_EQ(a.rate_micro(eur, usd, -5), b.rate_micro(eur, usd, -9'000));    // before 1970 too
  EXPECT_FALSE(a.rate_micro(eur, sek, 0));
  EXPECT_FALSE(a.rate_micro(eur, eur, 0));
  EXPECT_TRUE(fx_table::supports(*currency::from_code("BHD")));
  EXPECT_FALSE(fx_table::supports(sek));
  EXPECT_EQ(fx_table::codes().size(), 7u);
  EXPECT_EQ(fx_table::rate_text(1'084'213), "1.084213");
  EXPECT_EQ(fx_table::rate_text(2'526), "0.002526");
  EXPECT_EQ(fx_table::rate_text(162'000'000), "162.000000");
  EXPECT_EQ(fx_table::bucket_start_ms(19'999), 10'000);
  EXPECT_EQ(fx_table::bucket_start_ms(-1), -10'000);
}

// The XML reader decodes entities, references and CDATA, and refuses what is not well-formed.
TEST(sandbox_xml, reads_and_refuses) {
  auto ok = parse_xml(
      "\xEF\xBB\xBF<?xml version='1.0'?><!-- c --><a:R x='1' y=\"&lt;2&gt;\">t&amp;&#65;&#x42;"
      "<![CDATA[<raw>]]><B/><B>b</B></a:R><!-- end -->");
  ASSERT_TRUE(ok.root) << ok.error;
  EXPECT_EQ(ok.root->name, "R");
  EXPECT_EQ(*ok.root->attribute("y"), "<2>");
  EXPECT_EQ(ok.root->attribute("z"), nullptr);
  EXPECT_EQ(ok.root->text, "t&AB<raw>");
  EXPECT_EQ(ok.root->count("B"), 2u);
  EXPECT_EQ(ok.root->child("B")->text, "");
  std::string deep;
  for (std::size_t i = 0; i <= xml_max_depth; ++i) deep += "<d>";
  for (std::size_t i = 0; i <= xml_max_depth; ++i) deep += "</d>";
  for (const std::string& bad :
       {std::string(""), std::string("<a>"), std::string("<a></b>"), std::string("<a x=1/>"),
        std::string("<a>&bogus;</a>"), std::string("<a>&#xD800;</a>"), std::string("<a>&</a>"),
        std::string("<!DOCTYPE a><a/>"), std::string("<a/>x"), std::string("<a><!ENTITY/></a>"),
        std::string("<a x='1'y='2'/>"), deep}) {
    auto r = parse_xml(bad);
    EXPECT_FALSE(r.root) << bad;
    EXPECT_NE(r.error.find(" at offset "), std::string::npos) << bad;
  }
}

// A pacs.008 document with a date-time without offset is read as UTC.
TEST(sandbox_pacs008, reads_local_date_time_and_amount) {
  const std::string doc =
      "<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pacs.008.001.08\"><FIToFICstmrCdtTrf>"
      "<GrpHdr><MsgId>M</MsgId><CreDtTm>2025-01-02T03:04:05</CreDtTm><NbOfTxs>1</NbOfTxs>"
      "<SttlmInf><SttlmMtd>INDA</SttlmMtd></SttlmInf></GrpHdr><CdtTrfTxInf><PmtId>"
      "<EndToEndId> E2E </EndToEndId></PmtId><IntrBkSttlmAmt Ccy=\"JPY\">1500</IntrBkSttlmAmt>"
      "<IntrBkSttlmDt>2025-01-02</IntrBkSttlmDt><ChrgBr>SHAR</ChrgBr><Dbtr><Nm>D</Nm></Dbtr>"
      "<DbtrAgt><FinInstnId><BICFI>COBADEFF</BICFI></FinInstnId></DbtrAgt><CdtrAgt><FinInstnId>"
      "<BICFI>DEUTDEFF500</BICFI></FinInstnId></CdtrAgt><Cdtr><Nm>C</Nm></Cdtr><CdtrAcct><Id>"
      "<IBAN>GB82WEST12345698765432</IBAN></Id></CdtrAcct></CdtTrfTxInf></FIToFICstmrCdtTrf>"
      "</Document>";
  auto parsed = parse_pacs008(doc);
  ASSERT_TRUE(std::holds_alternative<pacs008_transfer>(parsed))
      << std::get<pacs008_error>(parsed).detail;
  const auto& t = std::get<pacs008_transfer>(parsed);
  EXPECT_EQ(t.end_to_end_id, "E2E");
  EXPECT_EQ(t.amount.amount_minor(), 1500);
  EXPECT_EQ(t.created_at_ms, 1'735'787'045'000);
  auto fractional_yen = doc;
  fractional_yen.replace(fractional_yen.find(">1500<") + 1, 4, "15.5");
  auto bad = parse_pacs008(fractional_yen);
  ASSERT_TRUE(std::holds_alternative<pacs008_error>(bad));
  EXPECT_EQ(std::get<pacs008_error>(bad).field, "CdtTrfTxInf/IntrBkSttlmAmt");
}

// The risk rules add up, clamp at 100 and pick the level by the thresholds.
TEST(sandbox_risk_rules, thresholds) {
  risk_input in;
  in.amount_currency = *currency::from_code("EUR");
  in.kyc_status = "APPROVED";
  in.sanctions_result = "CLEAR";
  EXPECT_EQ(assess_risk(in).level, "LOW");
  in.payouts_today = 6;
  EXPECT_EQ(assess_risk(in).score, 25);
  EXPECT_EQ(assess_risk(in).level, "MEDIUM");
  in.sanctions_result = "HIT";
  in.kyc_status = "REJECTED";
  const auto all = assess_risk(in);
  EXPECT_EQ(all.score, 100);
  EXPECT_EQ(all.level, "HIGH");
  EXPECT_EQ(all.reasons.size(), 3u);
}

}  // namespace
}  // namespace payorch::app::sandbox
