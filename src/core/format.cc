#include "core/format.h"

#include <fmt/format.h>

namespace gpusched {

std::string FormatMib(MiB mib) {
  if (mib < kMiBPerGiB) return fmt::format("{} MiB", mib);
  if (mib % kMiBPerGiB == 0) return fmt::format("{} GiB", mib / kMiBPerGiB);
  return fmt::format("{:.1f} GiB", static_cast<double>(mib) / kMiBPerGiB);
}

std::string FormatDuration(Duration d) {
  const std::int64_t s = d.count();
  if (d == Duration::max()) return "unknown";
  if (s < 120) return fmt::format("{} s", s);
  if (s < 2 * 3600) return fmt::format("{} min", s / 60);
  if (s < 2 * 86400) return fmt::format("{:.1f} h", static_cast<double>(s) / 3600);
  return fmt::format("{:.1f} d", static_cast<double>(s) / 86400);
}

}  // namespace gpusched
