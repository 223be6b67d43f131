#include "cli/text_format.h"

#include <cstdlib>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

namespace gpusched::cli {
namespace {

TEST(ParseDuration, AcceptsUnitsAndPlainSeconds) {
  struct Case {
    const char* text;
    std::int64_t seconds;
  };
  const Case cases[] = {{"90s", 90},     {"15m", 900},  {"2h", 7200},
                        {"1d", 86400},   {"45", 45},    {"1h30m", 5400},
                        {"1d2h", 93600}, {"0h5m", 300}, {"36500d", kMaxDurationS}};
  for (const Case& c : cases) {
    Result<std::int64_t> parsed = ParseDuration(c.text);
    ASSERT_TRUE(parsed) << c.text << ": " << parsed.error().message;
    EXPECT_EQ(*parsed, c.seconds) << c.text;
  }
}

TEST(ParseDuration, RefusesMalformedZeroAndHuge) {
  for (const char* text : {"", "h", "2x", "-5", "1.5h", "2 h", "1h30", "m5", "0", "0s", "36501d",
                           "99999999999999999999"}) {
    Result<std::int64_t> parsed = ParseDuration(text);
    EXPECT_FALSE(parsed) << "\"" << text << "\" parsed as " << (parsed ? *parsed : 0);
  }
  EXPECT_NE(ParseDuration("2x").error().message.find("\"2x\""), std::string::npos);
  EXPECT_NE(ParseDuration("0").error().message.find("positive"), std::string::npos);
}

TEST(FormatDuration, AtMostTwoUnits) {
  EXPECT_EQ(FormatDuration(0), "0s");
  EXPECT_EQ(FormatDuration(45), "45s");
  EXPECT_EQ(FormatDuration(240), "4m");
  EXPECT_EQ(FormatDuration(250), "4m10s");
  EXPECT_EQ(FormatDuration(7200), "2h");
  EXPECT_EQ(FormatDuration(7500 + 59), "2h5m");
  EXPECT_EQ(FormatDuration(3 * 86400 + 4 * 3600 + 5), "3d4h");
  EXPECT_EQ(FormatDuration(-90), "1m30s");
}

TEST(FormatRelative, PastFutureAndNow) {
  EXPECT_EQ(FormatRelative(-180), "3m ago");
  EXPECT_EQ(FormatRelative(240), "in 4m");
  EXPECT_EQ(FormatRelative(0), "now");
}

class LocalTimeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* tz = std::getenv("TZ");
    saved_ = tz ? std::optional<std::string>(tz) : std::nullopt;
  }
  void TearDown() override {
    if (saved_) {
      setenv("TZ", saved_->c_str(), 1);
    } else {
      unsetenv("TZ");
    }
    tzset();
  }
  static void UseZone(const char* tz) {
    setenv("TZ", tz, 1);
    tzset();
  }

 private:
  std::optional<std::string> saved_;
};

TEST_F(LocalTimeTest, IsoWithOffset) {
  UseZone("UTC0");
  EXPECT_EQ(LocalTime(0), "1970-01-01T00:00:00+00:00");
  EXPECT_EQ(LocalTime(1714565000), "2024-05-01T12:03:20+00:00");
  UseZone("XST-2");  // POSIX: two hours east of UTC
  EXPECT_EQ(LocalTime(0), "1970-01-01T02:00:00+02:00");
  UseZone("YST5:30");
  EXPECT_EQ(LocalTime(0), "1969-12-31T18:30:00-05:30");
  EXPECT_EQ(TimeAndRelative(0, 180), "1969-12-31T18:30:00-05:30 (3m ago)");
}

TEST(Shorten, CutsLongTextByCharacters) {
  EXPECT_EQ(Shorten("short", 10), "short");
  EXPECT_EQ(Shorten("exactly-10", 10), "exactly-10");
  EXPECT_EQ(Shorten("a longer reason text", 10), "a longe...");
  EXPECT_EQ(Shorten("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9", 5),
            "\xc3\xa9\xc3\xa9...");  // "éééééé": code points, not bytes
}

TEST(Table, AlignsColumnsAndLeavesTheLastUnpadded) {
  Table t({"ID", "NAME", "WHY"});
  EXPECT_TRUE(t.empty());
  t.AddRow({"7", "yolo-long-name", "waits"});
  t.AddRow({"12", "a", ""});
  EXPECT_FALSE(t.empty());
  EXPECT_EQ(t.Render(),
            "ID  NAME            WHY\n"
            "7   yolo-long-name  waits\n"
            "12  a               \n");
}

TEST(Table, CountsUtf8CodePointsForWidth) {
  Table t({"A", "B"});
  t.AddRow({"\xc3\xa9t\xc3\xa9", "x"});  // "été": 3 characters, 5 bytes
  const std::vector<std::string> lines = t.Lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "A    B");
  EXPECT_EQ(lines[1], "\xc3\xa9t\xc3\xa9  x");
}

}  // namespace
}  // namespace gpusched::cli
