// Formatting of quantities in reasons people read.
#pragma once

#include <string>

#include "gpusched/types.h"

namespace gpusched {

// "12 GiB", "11.5 GiB", "512 MiB".
std::string FormatMib(MiB mib);
// "45 s", "12 min", "2.5 h", "3 d".
std::string FormatDuration(Duration d);

}  // namespace gpusched
