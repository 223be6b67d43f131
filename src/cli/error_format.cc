#include "cli/error_format.h"

#include <cerrno>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

namespace gpusched::cli {
namespace {

constexpr std::string_view kTokenHint =
    "; give a valid token with --token or the GPUSCHED_TOKEN environment variable";

// "HTTP 404 Not Found" style words for the statuses a client meets.
std::string_view StatusWords(int status) {
  switch (status) {
    case 400: return "bad request";
    case 401: return "unauthorized";
    case 403: return "forbidden";
    case 404: return "not found";
    case 405: return "method not allowed";
    case 409: return "conflict";
    case 413: return "request too large";
    case 429: return "too many requests";
    case 500: return "internal server error";
    case 502: return "bad gateway";
    case 503: return "service unavailable";
    case 504: return "gateway timeout";
    default: return "error";
  }
}

// The server's {"error": {"code", "message"}}, or false when `body` is not one.
bool ParseErrorBody(std::string_view body, std::string& code, std::string& message) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
  if (!doc.is_object() || !doc.contains("error") || !doc["error"].is_object()) return false;
  const nlohmann::json& e = doc["error"];
  if (!e.contains("message") || !e["message"].is_string()) return false;
  message = e["message"].get<std::string>();
  code = e.contains("code") && e["code"].is_string() ? e["code"].get<std::string>() : "";
  return true;
}

}  // namespace

std::string CannotReachMessage(std::string_view server, std::string_view why) {
  return fmt::format("cannot reach the gpusched server at {}: {} (set --server or GPUSCHED_SERVER)",
                     server, why);
}

std::string RequestFailedMessage(std::string_view server, std::string_view why) {
  return fmt::format("the request to the gpusched server at {} failed: {}", server, why);
}

std::string ConnectErrorWords(int error_number) {
  switch (error_number) {
    case ECONNREFUSED: return "connection refused";
    case ETIMEDOUT: return "connection timed out";
    case EHOSTUNREACH: return "host unreachable";
    case ENETUNREACH: return "network unreachable";
    case ECONNRESET: return "connection reset";
    case EADDRNOTAVAIL: return "address not available";
    default: return "could not connect";
  }
}

std::string HttpErrorMessage(int status, std::string_view body, std::string_view method,
                             std::string_view path) {
  std::string code;
  std::string message;
  std::string out;
  if (ParseErrorBody(body, code, message)) {
    out = fmt::format("{} (HTTP {}{}{})", message, status, code.empty() ? "" : " ", code);
  } else if (status == 404 || status == 405) {
    out = fmt::format("the server does not serve {} {} (HTTP {} {}; is it older than this client?)",
                      method, path, status, StatusWords(status));
  } else {
    out = fmt::format("{} {} failed: HTTP {} {}", method, path, status, StatusWords(status));
  }
  if (status == 401) out += kTokenHint;
  return out;
}

}  // namespace gpusched::cli
