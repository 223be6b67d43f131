// Log bytes as they travel to the server: JSON strings must be UTF-8, and
// the server counts the bytes of each chunk, so the agent sends valid UTF-8
// of exactly the length it read. Pure.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace gpusched::agent {

// The length of the longest prefix of `bytes` that does not end inside a
// UTF-8 sequence which the following bytes could still complete (at most 3
// bytes are held back). Bytes that can never be valid are not held back.
std::size_t CompleteUtf8Prefix(std::string_view bytes);

// Replaces every byte that is not part of a valid UTF-8 sequence with '?',
// one for one: the length never changes.
void ReplaceInvalidUtf8(std::string& bytes);

}  // namespace gpusched::agent
