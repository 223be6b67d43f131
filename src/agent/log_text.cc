#include "agent/log_text.h"

namespace gpusched::agent {
namespace {

// The length of the sequence a lead byte starts, or 0 if it cannot lead one.
std::size_t SequenceLength(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

bool Continuation(unsigned char c) { return (c & 0xC0) == 0x80; }

// Whether `s[at..at+n)` is a valid sequence of length n (no overlongs, no
// surrogates, nothing above U+10FFFF). REQUIRES: at + n <= s.size().
bool ValidSequence(std::string_view s, std::size_t at, std::size_t n) {
  const auto b0 = static_cast<unsigned char>(s[at]);
  for (std::size_t k = 1; k < n; ++k) {
    if (!Continuation(static_cast<unsigned char>(s[at + k]))) return false;
  }
  if (n < 3) return true;
  const auto b1 = static_cast<unsigned char>(s[at + 1]);
  if (b0 == 0xE0 && b1 < 0xA0) return false;  // overlong
  if (b0 == 0xED && b1 > 0x9F) return false;  // surrogate
  if (b0 == 0xF0 && b1 < 0x90) return false;  // overlong
  if (b0 == 0xF4 && b1 > 0x8F) return false;  // above U+10FFFF
  return true;
}

}  // namespace

std::size_t CompleteUtf8Prefix(std::string_view bytes) {
  // Look at the last up-to-3 bytes for the start of an unfinished sequence.
  const std::size_t size = bytes.size();
  for (std::size_t back = 1; back <= 3 && back <= size; ++back) {
    const auto c = static_cast<unsigned char>(bytes[size - back]);
    if (Continuation(c)) continue;
    const std::size_t n = SequenceLength(c);
    if (n > back) {
      // Unfinished: hold it back if what is there could still be valid.
      for (std::size_t k = 1; k < back; ++k) {
        if (!Continuation(static_cast<unsigned char>(bytes[size - back + k]))) return size;
      }
      return size - back;
    }
    return size;
  }
  return size;
}

void ReplaceInvalidUtf8(std::string& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const std::size_t n = SequenceLength(static_cast<unsigned char>(bytes[at]));
    if (n == 0 || at + n > bytes.size() || !ValidSequence(bytes, at, n)) {
      bytes[at] = '?';
      ++at;
    } else {
      at += n;
    }
  }
}

}  // namespace gpusched::agent
