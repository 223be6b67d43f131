#include "cli/connect_probe.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>

#include <fmt/core.h>

#include "cli/error_format.h"

namespace gpusched::cli {
namespace {

// errno of one blocking connect() to `address`, 0 when it connected.
int TryConnect(const addrinfo& address, std::chrono::seconds timeout) {
  const int fd = socket(address.ai_family, address.ai_socktype, address.ai_protocol);
  if (fd < 0) return errno;
  timeval limit{};
  limit.tv_sec = static_cast<time_t>(timeout.count());
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);  // bounds connect() on Linux
  const int result = connect(fd, address.ai_addr, address.ai_addrlen);
  const int error_number = result == 0 ? 0 : errno;
  close(fd);
  return error_number == EINPROGRESS || error_number == EAGAIN ? ETIMEDOUT : error_number;
}

}  // namespace

std::string ProbeConnectFailure(const std::string& host, int port, std::chrono::seconds timeout) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* addresses = nullptr;
  const std::string service = std::to_string(port);
  if (getaddrinfo(host.c_str(), service.c_str(), &hints, &addresses) != 0) {
    return fmt::format("unknown host \"{}\"", host);
  }
  int error_number = 0;
  for (const addrinfo* a = addresses; a != nullptr; a = a->ai_next) {
    error_number = TryConnect(*a, timeout);
    if (error_number == 0) break;
  }
  freeaddrinfo(addresses);
  return ConnectErrorWords(error_number);
}

}  // namespace gpusched::cli
