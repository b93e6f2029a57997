// Tests of strong ids and of IBAN, BIC and UPI VPA validation.
#include <gtest/gtest.h>

#include <concepts>
#include <string>
#include <unordered_set>

#include "domain/accounts.hpp"
#include "domain/ids.hpp"
#include "domain/utf8.hpp"

namespace payorch {
namespace {

// parse accepts exactly the prefix plus 16 lower-case hex digits.
TEST(strong_id, parse_accepts_canonical_form) {
  const auto id = payment_id::parse("pay_0123456789abcdef");
  ASSERT_TRUE(id);
  EXPECT_EQ(id->str(), "pay_0123456789abcdef");
  EXPECT_TRUE(pod_id::parse("pod_ffffffffffffffff"));
  EXPECT_TRUE(pledge_id::parse("plg_0000000000000000"));
  EXPECT_TRUE(payout_id::parse("pout_00000000deadbeef"));
  EXPECT_TRUE(event_id::parse("evt_1111111111111111"));
  EXPECT_TRUE(saga_id::parse("saga_a1b2c3d4e5f60718"));
  EXPECT_TRUE(campaign_id::parse("cmp_9999999999999999"));
}

// Wrong prefix, case, length or alphabet is invalid_id.
TEST(strong_id, parse_rejects_wrong_input) {
  for (const char* text :
       {"", "pay_", "pay_0123456789abcde", "pay_0123456789abcdef0", "pay_0123456789ABCDEF",
        "PAY_0123456789abcdef", "pod_0123456789abcdef", "pay0123456789abcdef0",
        "pay_0123456789abcdeg", " pay_0123456789abcdef", "pay_0123456789abcdef ",
        "pay_-123456789abcdef", "pay-0123456789abcdef", "pay_0x23456789abcdef"}) {
    const auto id = payment_id::parse(text);
    ASSERT_FALSE(id) << text;
    EXPECT_EQ(id.error().code, errc::invalid_id) << text;
  }
  EXPECT_FALSE(payout_id::parse("pou_0123456789abcdef"));
  EXPECT_FALSE(saga_id::parse("sag_0123456789abcdef"));
  EXPECT_FALSE(payment_id::parse(std::string_view("pay_0123456789abcde\0", 20)));
}

// from_random spells all 64 bits as 16 zero-padded hex digits that parse back.
TEST(strong_id, from_random_is_canonical) {
  EXPECT_EQ(payment_id::from_random(0).str(), "pay_0000000000000000");
  EXPECT_EQ(payment_id::from_random(0xDEADBEEF).str(), "pay_00000000deadbeef");
  EXPECT_EQ(saga_id::from_random(~std::uint64_t{0}).str(), "saga_ffffffffffffffff");
  EXPECT_EQ(pod_id::from_random(0x0123456789ABCDEF).str(), "pod_0123456789abcdef");
  for (std::uint64_t bits = 1; bits != 0; bits <<= 1) {
    const auto id = event_id::from_random(bits * 3);
    EXPECT_EQ(*event_id::parse(id.str()), id);
  }
}

// Ids compare, order and hash by their text; distinct tags are distinct types.
TEST(strong_id, compares_orders_and_hashes) {
  const auto a = pod_id::from_random(1);
  const auto b = pod_id::from_random(2);
  EXPECT_EQ(a, *pod_id::parse("pod_0000000000000001"));
  EXPECT_NE(a, b);
  EXPECT_LT(a, b);
  std::unordered_set<pod_id> set{a, b, a};
  EXPECT_EQ(set.size(), 2U);
  EXPECT_TRUE(pod_id{}.empty());
  EXPECT_EQ(pod_id::prefix, "pod_");
  static_assert(!std::equality_comparable_with<pod_id, payment_id>);
  static_assert(!std::is_convertible_v<pod_id, payment_id>);
  static_assert(!std::is_convertible_v<std::string, pod_id>);
}

// Goal: prefixed_hex16_bits reads back exactly what prefixed_hex16 wrote, and nothing else.
TEST(prefixed_hex16, bits_round_trip_and_only_canonical_text_is_read) {
  for (std::uint64_t bits : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{0xa1},
                             std::uint64_t{0x0123456789abcdef}, ~std::uint64_t{0}}) {
    const auto text = detail::prefixed_hex16("pod_", bits);
    EXPECT_EQ(detail::prefixed_hex16_bits(text, "pod_"), bits) << text;
  }
  EXPECT_FALSE(detail::prefixed_hex16_bits("pod_00000000000000A1", "pod_"));  // upper case
  EXPECT_FALSE(detail::prefixed_hex16_bits("pod_00000000000000a", "pod_"));   // 15 digits
  EXPECT_FALSE(detail::prefixed_hex16_bits("pay_00000000000000a1", "pod_"));  // other prefix
  EXPECT_FALSE(detail::prefixed_hex16_bits("pod_a", "pod_"));
}

// Goal: hex_encode writes every byte (NUL and high bytes too) as two lower-case digits.
TEST(hex_encode, writes_two_lower_case_digits_per_byte) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode("\x01\xab"), "01ab");
  EXPECT_EQ(hex_encode(std::string("\0\xff\x10", 3)), "00ff10");
}

// Goal: hex_decode reads back every byte hex_encode wrote, takes either case, and refuses an odd
// length or a character that is no hex digit.
TEST(hex_decode, inverts_hex_encode_and_refuses_anything_else) {
  std::string every_byte;
  for (int b = 0; b < 256; ++b) every_byte.push_back(static_cast<char>(b));
  EXPECT_EQ(hex_decode(hex_encode(every_byte)), every_byte);
  EXPECT_EQ(hex_decode(""), std::string());
  EXPECT_EQ(hex_decode("0aFf"), std::string("\x0a\xff", 2));
  for (const char* bad : {"0", "abc", "0g", "g0", "0 ", "-1", "0x"})
    EXPECT_FALSE(hex_decode(bad)) << bad;
  EXPECT_EQ(hex_digit_value('7'), 7);
  EXPECT_EQ(hex_digit_value('b'), 11);
  EXPECT_EQ(hex_digit_value('B'), 11);
  EXPECT_EQ(hex_digit_value('g'), -1);
  EXPECT_EQ(hex_digit_value('/'), -1);
}

// Goal: is_utf8_text takes valid UTF-8 of every length and refuses NUL, stray continuation
// bytes, truncated sequences, overlong forms, surrogates and code points past U+10FFFF.
TEST(is_utf8_text, accepts_utf8_without_nul_only) {
  for (const char* good :
       {"", "pod:a:wallet", "Zo\xc3\xab", "\xe2\x82\xac", "\xf0\x9f\x92\xb6", "\xf4\x8f\xbf\xbf"})
    EXPECT_TRUE(is_utf8_text(good)) << good;
  EXPECT_FALSE(is_utf8_text(std::string("a\0b", 3)));
  for (const char* bad :
       {"\x80",
        "a\x80"
        "b",
        "\xc3", "\xe2\x82", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"})
    EXPECT_FALSE(is_utf8_text(bad)) << bad;
}

// Known-valid IBANs pass, electronic and print form, across many registry countries.
TEST(iban, accepts_valid_examples) {
  for (const char* text :
       {"DE89370400440532013000", "GB82WEST12345698765432", "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32", "FR1420041010050500013M02606", "NL91ABNA0417164300",
        "BE68539007547034", "CH9300762011623852957", "NO9386011117947", "NO93 8601 1117 947",
        "MT84MALT011000012345MTLCAST001S", "LC55HEMM000100010012001200023015",
        "SC18SSCB11010000000000001497USD", "BR1800360305000010009795493C1",
        "RU0204452560040702810412345678901", "AT611904300234573201", "IT60X0542811101000000123456",
        "SA0380000000608010167519", "BI4210000100010000332045181"}) {
    EXPECT_TRUE(is_valid_iban(text)) << text;
  }
  EXPECT_EQ(normalize_iban("DE89 3704 0044 0532 0130 00"), "DE89370400440532013000");
  EXPECT_EQ(normalize_iban("DE89370400440532013000"), "DE89370400440532013000");
}

// Every single-character corruption of a valid IBAN is caught by length or mod 97.
TEST(iban, rejects_single_character_corruptions) {
  for (const std::string valid : {"DE89370400440532013000", "GB82WEST12345698765432",
                                  "FR1420041010050500013M02606", "NO9386011117947"}) {
    for (std::size_t i = 0; i < valid.size(); ++i) {
      for (char c : std::string("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")) {
        if (c == valid[i]) continue;
        std::string corrupted = valid;
        corrupted[i] = c;
        // Mod 97 guarantees to catch a digit replaced by a digit or a letter by a letter;
        // a letter for a digit changes the digit count and may, rarely, collide.
        const auto is_digit = [](char ch) { return ch >= '0' && ch <= '9'; };
        if (is_digit(valid[i]) == is_digit(c)) {
          EXPECT_FALSE(is_valid_iban(corrupted)) << corrupted;
        }
      }
    }
    // Swapping two adjacent different characters is caught as well.
    for (std::size_t i = 4; i + 1 < valid.size(); ++i) {
      if (valid[i] == valid[i + 1]) continue;
      std::string swapped = valid;
      std::swap(swapped[i], swapped[i + 1]);
      EXPECT_FALSE(is_valid_iban(swapped)) << swapped;
    }
  }
}

// Lower case, bad spacing, foreign characters, wrong length and unknown countries fail.
TEST(iban, rejects_wrong_input) {
  for (const char* text : {"",
                           "DE",
                           "DE89",
                           "de89370400440532013000",
                           "De89370400440532013000",
                           "gb82west12345698765432",
                           "GB82west12345698765432",
                           "DE8937040044053201300",
                           "DE893704004405320130000",
                           "XX89370400440532013000",
                           "US89370400440532013000",
                           "DE89  3704 0044 0532 0130 00",
                           " DE89370400440532013000",
                           "DE89370400440532013000 ",
                           "DE89 3704 0044 0532 0130 00 ",
                           "DE893704 0044 0532 0130 00",
                           "DE89 37040044 0532 0130 00",
                           "DE89-3704-0044-0532-0130-00",
                           "DE89\t3704004405320130 00",
                           "DE8937040044053201300O",
                           "DEAB370400440532013000",
                           "1E89370400440532013000",
                           "DE89 3704 0044 0532 0130 0 0",
                           "DE00370400440532013000",
                           "DE99370400440532013000",
                           "GB82WEST1234569876543$",
                           "DE89370400440532013000DE89370400440532013000"}) {
    EXPECT_FALSE(is_valid_iban(text)) << text;
  }
  EXPECT_EQ(iban_length("DE"), 22);
  EXPECT_EQ(iban_length("NO"), 15);
  EXPECT_EQ(iban_length("LC"), 32);
  EXPECT_EQ(iban_length("RU"), 33);
  EXPECT_EQ(iban_length("XK"), 20);
  EXPECT_FALSE(iban_length("US").has_value());
  EXPECT_FALSE(iban_length("de").has_value());
}

// BICs: 8 or 11 upper-case characters with a real country code.
TEST(bic, accepts_valid_and_rejects_wrong_input) {
  for (const char* text : {"DEUTDEFF", "DEUTDEFF500", "NEDSZAJJXXX", "BOFAUS3N", "UBSWCHZH80A",
                           "BNPAFRPPXXX", "ABCDXKPR"}) {
    EXPECT_TRUE(is_valid_bic(text)) << text;
  }
  for (const char* text : {"", "deutdeff", "DEUTdeFF", "DEUTDEF", "DEUTDEFF5", "DEUTDEFF50",
                           "DEUTDEFF5000", "DEU1DEFF", "DEUTXXFF", "DEUTQQFF", "DEUTDEf1",
                           "DEUT DEFF", "DEUTDEFF_00", "DEUTDEFF50a", "DEUTD3FF", "DEUTDE-F"}) {
    EXPECT_FALSE(is_valid_bic(text)) << text;
  }
  EXPECT_TRUE(is_iso3166_alpha2("DE"));
  EXPECT_TRUE(is_iso3166_alpha2("ZW"));
  EXPECT_TRUE(is_iso3166_alpha2("AX"));
  EXPECT_FALSE(is_iso3166_alpha2("XK"));  // user-assigned; accepted by is_valid_bic only
  EXPECT_FALSE(is_iso3166_alpha2("UK"));
  EXPECT_FALSE(is_iso3166_alpha2("de"));
  EXPECT_FALSE(is_iso3166_alpha2("DEU"));
}

// UPI VPAs: one '@', a 2..256 character handle and a 2..64 character alphanumeric PSP.
TEST(upi_vpa, accepts_valid_and_rejects_wrong_input) {
  const std::string handle_256(256, 'a');
  const std::string psp_64(64, 'b');
  for (const std::string& text :
       {std::string("alice@okicici"), std::string("a.b-c_d@ybl"), std::string("98765@paytm"),
        std::string("ab@cd"), std::string("Alice.Smith@OKHDFC"), handle_256 + "@ybl",
        "ab@" + psp_64}) {
    EXPECT_TRUE(is_valid_upi_vpa(text)) << text;
  }
  for (const std::string& text :
       {std::string(""), std::string("a@ybl"), std::string("alice@b"), std::string("alice"),
        std::string("alice@@ybl"), std::string("alice@ok@icici"), std::string("@ybl"),
        std::string("alice@"), std::string("al ice@ybl"), std::string("alice@ok-icici"),
        std::string("alice@ok.icici"), std::string("alice!@ybl"), std::string("alicé@ybl"),
        handle_256 + "a@ybl", "ab@" + psp_64 + "b", std::string("alice@ybl ")}) {
    EXPECT_FALSE(is_valid_upi_vpa(text)) << text;
  }
}

}  // namespace
}  // namespace payorch
