// Recoverable errors as values. A function that can fail for reasons outside
// the caller's control returns `Result<T>` (tl::expected); broken invariants
// are programming errors and abort through GPUSCHED_CHECK with context.
// No exception crosses a module boundary.
#pragma once

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace gpusched {

enum class ErrorCode {
  kInvalidArgument,  // the input names something malformed or out of range
  kNotFound,         // the input names something that does not exist
  kAlreadyExists,    // the input would create a duplicate
  kResourceExhausted,// the request does not fit the capacity left
  kFailedPrecondition,// the state does not allow the operation now
};

// A human-readable error: `message` names what is wrong and why.
struct Error {
  ErrorCode code;
  std::string message;
};

template <typename T>
using Result = tl::expected<T, Error>;
using Status = tl::expected<void, Error>;

inline tl::unexpected<Error> MakeError(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}
inline Status OkStatus() { return {}; }

const char* ErrorCodeName(ErrorCode code);

// Aborts with file, line and message when `cond` is false. For invariants
// only: never for input validation.
[[noreturn]] void CheckFailed(const char* file, int line, const char* cond,
                              const std::string& message);

}  // namespace gpusched

#define GPUSCHED_CHECK(cond, message)                                  \
  do {                                                                 \
    if (!(cond)) ::gpusched::CheckFailed(__FILE__, __LINE__, #cond, (message)); \
  } while (false)
