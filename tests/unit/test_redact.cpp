// Card data and secrets masked in what the rig records (rig/protocol/redact.h).
#include "rig/protocol/redact.h"

#include <gtest/gtest.h>

namespace {

using nlohmann::json;
using rig::protocol::luhn_valid;
using rig::protocol::mask_keys;
using rig::protocol::redact;
using rig::protocol::Redacted;

TEST(Redact, Luhn) {
  EXPECT_TRUE(luhn_valid("4761739001010119"));
  EXPECT_TRUE(luhn_valid("79927398713"));
  EXPECT_FALSE(luhn_valid("4761739001010118"));
  EXPECT_FALSE(luhn_valid(""));
  EXPECT_FALSE(luhn_valid("4761a"));
}

TEST(Redact, FullPansAnywhereInText) {
  Redacted found;
  EXPECT_EQ(redact("RESULT|id=T1|pan=4761739001010119|status=APPROVED", &found),
            "RESULT|id=T1|pan=476173******0119|status=APPROVED");
  EXPECT_EQ(found.pans, 1);
  // 13 and 19 digits; a Mastercard 2-series; two in one text.
  EXPECT_EQ(redact("4222222222222 and 5555555555554444"), "422222***2222 and 555555******4444");
  EXPECT_EQ(redact("6011000990139424"), "601100******9424");
}

TEST(Redact, WhatIsNoPanStaysAsItIs) {
  Redacted found;
  // Not Luhn-valid; too short (RRN, amounts); part of a longer run; first digit 0, 1, 7-9.
  for (const char* text : {"4761739001010118", "rrn=123456789012 amount=000000010000",
                           "47617390010101190000000", "0000000000000000", "7992739871300001",
                           "stan=000123 tid=RIG00001", "2026-12-03T17:20:00Z"}) {
    EXPECT_EQ(redact(text, &found), text);
  }
  EXPECT_FALSE(found.any());
}

TEST(Redact, TrackData) {
  Redacted found;
  EXPECT_EQ(redact("35=4761739001010119=25121011234567890", &found),
            "35=476173******0119=*****************");
  EXPECT_EQ(redact("%B4761739001010119^CARDHOLDER/TEST^2512101123400000000?", &found),
            "%B476173******0119^CARDHOLDER/TEST^*******************?");
  EXPECT_EQ(found.pans, 2);
  EXPECT_EQ(found.tracks, 2);
}

TEST(Redact, PaymentCodes) {
  Redacted found;
  EXPECT_EQ(redact(R"({"auth_code":"134567890123456789"})", &found),
            R"({"auth_code":"13************6789"})");
  EXPECT_EQ(redact("code 2812345678901234567", &found), "code 28*************4567");
  EXPECT_EQ(found.codes, 2);
  // 17 digits starting 13: not a payment code (and not a PAN).
  EXPECT_EQ(redact("13456789012345678"), "13456789012345678");
}

TEST(Redact, JsonStringsNotKeys) {
  json j = {{"4761739001010119", "x"},
            {"fields", {{"text", "card 4761739001010119"}, {"n", 4761739001010119}}},
            {"list", {"5555555555554444", 1, true}}};
  Redacted found;
  redact(j, &found);
  EXPECT_EQ(j["fields"]["text"], "card 476173******0119");
  EXPECT_EQ(j["list"][0], "555555******4444");
  EXPECT_TRUE(j.contains("4761739001010119"));
  EXPECT_EQ(found.pans, 2);
}

TEST(Redact, KeyPresses) {
  EXPECT_EQ(mask_keys(json::array({"1", "2", "3", "4", "ENTER"})),
            json::array({"*", "*", "*", "*", "ENTER"}));
  EXPECT_EQ(mask_keys("0000"), "****");
  EXPECT_EQ(mask_keys("CANCEL"), "CANCEL");
}

}  // namespace
