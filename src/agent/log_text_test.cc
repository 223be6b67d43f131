#include "agent/log_text.h"

#include <gtest/gtest.h>

namespace gpusched::agent {
namespace {

TEST(LogTextUtf8, AChunkNeverEndsInsideACharacterThatMayStillComplete) {
  const std::string bar = "progress \xE2\x94\x81\xE2\x94\x81";  // "━━"
  EXPECT_EQ(CompleteUtf8Prefix(bar), bar.size());
  EXPECT_EQ(CompleteUtf8Prefix(bar.substr(0, bar.size() - 1)), bar.size() - 3);
  EXPECT_EQ(CompleteUtf8Prefix(bar.substr(0, bar.size() - 2)), bar.size() - 3);
  EXPECT_EQ(CompleteUtf8Prefix("ascii only"), 10u);
  EXPECT_EQ(CompleteUtf8Prefix(""), 0u);
  const std::string emoji = "\xF0\x9F\x9A\x80";  // a 4-byte character
  EXPECT_EQ(CompleteUtf8Prefix(emoji.substr(0, 3)), 0u);
}

TEST(LogTextUtf8, BytesThatCanNeverBeValidAreNotHeldBack) {
  EXPECT_EQ(CompleteUtf8Prefix("abc\xFF"), 4u);
  EXPECT_EQ(CompleteUtf8Prefix("abc\xE2" "x"), 5u);
}

TEST(LogTextUtf8, InvalidBytesBecomeQuestionMarksOneForOne) {
  std::string text = "ok \xFF\xFE ok \xE2\x94\x81 \xC0\xAF \xED\xA0\x80 \xE2\x94";
  const std::size_t size = text.size();
  ReplaceInvalidUtf8(text);
  EXPECT_EQ(text.size(), size);
  EXPECT_EQ(text, "ok ?? ok \xE2\x94\x81 ?? ??? ??");
}

TEST(LogTextUtf8, ValidTextIsLeftAlone) {
  std::string text = "Epoch 1/30 \xE2\x94\x81 m\xC3\xA9tricas \xF0\x9F\x9A\x80";
  const std::string before = text;
  ReplaceInvalidUtf8(text);
  EXPECT_EQ(text, before);
}

}  // namespace
}  // namespace gpusched::agent
