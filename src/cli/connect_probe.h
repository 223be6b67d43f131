// Why a TCP connection fails, in words, for the message of a client command
// whose request could not connect. httplib reports such a failure only as
// Error::Connection (its non-blocking connect keeps the socket's error to
// itself), so this resolves the name again and tries one blocking connect.
#pragma once

#include <chrono>
#include <string>

namespace gpusched::cli {

// "connection refused", "host unreachable", "unknown host \"db-1\"", ...;
// "could not connect" when the retry gives no clearer reason (or succeeds).
// Blocks for at most about `timeout` plus the name lookup. Thread-safe.
std::string ProbeConnectFailure(const std::string& host, int port, std::chrono::seconds timeout);

}  // namespace gpusched::cli
