// Reading a whole file into memory, for the trace and cluster readers (which
// are pure functions over text).
#pragma once

#include <string>

#include "gpusched/status.h"

namespace gpusched::sim {

// The bytes of the file at `path`, unchanged. Fails with an error naming the
// path and the system's reason, e.g.
//   cannot read "/tmp/x.csv": No such file or directory
// (kNotFound when the file does not exist, kFailedPrecondition otherwise,
// including a directory). Thread-safe.
Result<std::string> ReadFileText(const std::string& path);

}  // namespace gpusched::sim
