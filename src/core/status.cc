#include "gpusched/status.h"

#include <cstdio>
#include <cstdlib>

namespace gpusched {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument: return "invalid argument";
    case ErrorCode::kNotFound: return "not found";
    case ErrorCode::kAlreadyExists: return "already exists";
    case ErrorCode::kResourceExhausted: return "resource exhausted";
    case ErrorCode::kFailedPrecondition: return "failed precondition";
  }
  return "unknown";
}

void CheckFailed(const char* file, int line, const char* cond,
                 const std::string& message) {
  // The core does no I/O except this last word before aborting on a broken
  // invariant: there is nobody else left to tell.
  std::fprintf(stderr, "%s:%d: check failed: %s: %s\n", file, line, cond,
               message.c_str());
  std::abort();
}

}  // namespace gpusched
