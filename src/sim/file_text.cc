#include "sim/file_text.h"

#include <cerrno>
#include <cstdio>
#include <memory>
#include <system_error>

#include <fmt/format.h>

namespace gpusched::sim {
namespace {

tl::unexpected<Error> CannotRead(const std::string& path, int err) {
  const ErrorCode code = err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kFailedPrecondition;
  return MakeError(
      code, fmt::format("cannot read \"{}\": {}", path, std::generic_category().message(err)));
}

}  // namespace

Result<std::string> ReadFileText(const std::string& path) {
  errno = 0;
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                             &std::fclose);
  if (!file) return CannotRead(path, errno);
  std::string text;
  char buffer[1 << 16];
  while (true) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (n < sizeof buffer) break;
  }
  if (std::ferror(file.get()) != 0) return CannotRead(path, errno != 0 ? errno : EIO);
  return text;
}

}  // namespace gpusched::sim
