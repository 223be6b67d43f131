#include "cli/client.h"

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string_view>

#include <fmt/core.h>
#include <httplib.h>

#include "cli/connect_probe.h"
#include "cli/error_format.h"
#include "cli/output.h"

namespace gpusched::cli {
namespace {

constexpr const char* kDefaultServer = "http://127.0.0.1:8080";
constexpr std::chrono::seconds kConnectTimeout{5};
constexpr std::chrono::seconds kReadTimeout{30};
constexpr std::chrono::seconds kProbeTimeout{2};

// HOST and PORT of a server URL, for the connection probe.
struct Endpoint {
  std::string host;
  int port = 0;
};

std::string FromEnv(const std::string& given, const char* variable) {
  if (!given.empty()) return given;
  const char* value = std::getenv(variable);
  return value != nullptr ? value : "";
}

tl::unexpected<Error> Failed(std::string message) {
  return MakeError(ErrorCode::kFailedPrecondition, std::move(message));
}

// Words for a request that got no HTTP answer.
std::string TransportWords(httplib::Error error, const Endpoint& endpoint) {
  switch (error) {
    case httplib::Error::Connection:
      return ProbeConnectFailure(endpoint.host, endpoint.port, kProbeTimeout);
    case httplib::Error::ConnectionTimeout: return "connection timed out";
    case httplib::Error::BindIPAddress: return "cannot bind the local address";
    case httplib::Error::Read: return "no complete answer (read timed out or connection closed)";
    case httplib::Error::Write: return "cannot send the request (connection closed)";
    case httplib::Error::ExceedRedirectCount: return "too many redirects";
    case httplib::Error::Canceled: return "request cancelled";
    case httplib::Error::SSLConnection: return "TLS handshake failed";
    case httplib::Error::SSLLoadingCerts: return "cannot load the TLS certificates";
    case httplib::Error::SSLServerVerification:
      return "the server's TLS certificate is not trusted";
    case httplib::Error::Compression: return "cannot decompress the answer";
    default: return "unknown error";
  }
}

bool IsConnectError(httplib::Error error) {
  return error == httplib::Error::Connection || error == httplib::Error::ConnectionTimeout ||
         error == httplib::Error::BindIPAddress || error == httplib::Error::SSLConnection ||
         error == httplib::Error::SSLServerVerification;
}

// HOST and PORT of `server` when it is [http[s]://]HOST[:PORT], the form
// httplib::Client takes (it would throw on another scheme, misread a path).
std::optional<Endpoint> ParseServerUrl(const std::string& server) {
  constexpr auto npos = std::string_view::npos;
  std::string_view rest = server;
  Endpoint e{"", 80};
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
    e.port = 443;
  } else if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  }
  if (rest.starts_with("[")) {  // an IPv6 address
    const std::size_t close = rest.find(']');
    if (close == npos) return std::nullopt;
    e.host = std::string(rest.substr(1, close - 1));
    if (e.host.empty() || e.host.find_first_not_of("0123456789abcdefABCDEF:.") != npos) {
      return std::nullopt;
    }
    rest.remove_prefix(close + 1);
  } else {
    const std::size_t colon = rest.find(':');
    e.host = std::string(rest.substr(0, colon));
    if (e.host.empty() ||
        e.host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
            npos) {
      return std::nullopt;
    }
    rest.remove_prefix(colon == npos ? rest.size() : colon);
  }
  if (rest.empty()) return e;
  if (rest.front() != ':') return std::nullopt;
  rest.remove_prefix(1);
  if (rest.empty() || rest.size() > 5 || rest.find_first_not_of("0123456789") != npos) {
    return std::nullopt;
  }
  e.port = std::stoi(std::string(rest));
  if (e.port > 65535) return std::nullopt;
  return e;
}

std::string WithQuery(const std::string& path, const Query& query) {
  httplib::Params params;
  for (const auto& [key, value] : query) params.emplace(key, value);
  return params.empty() ? path : httplib::append_query_params(path, params);
}

}  // namespace

Query NonEmpty(Query query) {
  std::erase_if(query, [](const auto& pair) { return pair.second.empty(); });
  return query;
}

std::string PathSegment(std::string_view text) {
  return httplib::detail::encode_query_param(std::string(text));
}

std::string ResolveServer(const ClientOptions& options) {
  std::string server = FromEnv(options.server, "GPUSCHED_SERVER");
  if (server.empty()) server = kDefaultServer;
  while (server.size() > 1 && server.back() == '/') server.pop_back();
  return server;
}

std::string ResolveToken(const ClientOptions& options) {
  return FromEnv(options.token, "GPUSCHED_TOKEN");
}

struct ApiClient::Impl {
  explicit Impl(const ClientOptions& options)
      : server(ResolveServer(options)), endpoint(ParseServerUrl(server)) {
    if (!endpoint) return;
    http = std::make_unique<httplib::Client>(server);
    http->set_tcp_nodelay(true);  // else small requests wait on delayed ACKs
    http->set_connection_timeout(kConnectTimeout);
    http->set_read_timeout(kReadTimeout);
    http->set_write_timeout(kReadTimeout);
    const std::string token = ResolveToken(options);
    if (!token.empty()) http->set_bearer_token_auth(token);
    http->set_default_headers(
        {{"Accept", "application/json"}, {"User-Agent", std::string("gpusched/") + Version()}});
  }

  // Sends one request (`send` makes the httplib call) and decodes the answer.
  template <typename Send>
  Result<Json> Call(std::string_view method, const std::string& path, Send send) {
    if (!http || !http->is_valid()) {
      return MakeError(
          ErrorCode::kInvalidArgument,
          fmt::format("--server: expected a URL such as http://HOST:PORT, got \"{}\"", server));
    }
    httplib::Result result = send(*http);
    if (!result) {
      const std::string why = TransportWords(result.error(), *endpoint);
      return Failed(IsConnectError(result.error()) ? CannotReachMessage(server, why)
                                                   : RequestFailedMessage(server, why));
    }
    if (result->status >= 400 || result->status < 200) {
      return Failed(HttpErrorMessage(result->status, result->body, method, path));
    }
    if (result->body.empty()) return Json::object();
    Json body = Json::parse(result->body, nullptr, false);
    if (body.is_discarded()) {
      return Failed(fmt::format("the answer to {} {} is not JSON", method, path));
    }
    return body;
  }

  std::string server;
  std::optional<Endpoint> endpoint;       // nullopt when `server` is not a URL
  std::unique_ptr<httplib::Client> http;  // null when `server` is not a URL
};

ApiClient::ApiClient(const ClientOptions& options) : impl_(std::make_unique<Impl>(options)) {}
ApiClient::~ApiClient() = default;

Result<Json> ApiClient::Get(const std::string& path, const Query& query) {
  const std::string target = WithQuery(path, query);
  return impl_->Call("GET", path, [&](httplib::Client& h) { return h.Get(target); });
}

Result<Json> ApiClient::Post(const std::string& path, const Json& body) {
  return PostText(path, body.dump(), "application/json");
}

Result<Json> ApiClient::PostText(const std::string& path, const std::string& body,
                                 const std::string& content_type) {
  return impl_->Call("POST", path,
                     [&](httplib::Client& h) { return h.Post(path, body, content_type); });
}

Result<Json> ApiClient::Delete(const std::string& path, const Query& query) {
  const std::string target = WithQuery(path, query);
  return impl_->Call("DELETE", path, [&](httplib::Client& h) { return h.Delete(target); });
}

int RunRequest(const ClientOptions& options, const std::function<Result<Json>(ApiClient&)>& request,
               const std::function<std::string(const Json&)>& text) {
  ApiClient client(options);
  Result<Json> body = request(client);
  if (!body) {
    PrintClientError(body.error().message);
    return body.error().code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
  }
  if (options.output == OutputFormat::kJson) {
    PrintJson(*body);
    return kExitOk;
  }
  try {
    fmt::print("{}", text(*body));
  } catch (const Json::exception& e) {
    PrintClientError(fmt::format("the server's answer is not as expected: {}", e.what()));
    return kExitFailure;
  }
  return kExitOk;
}

void PrintClientError(std::string_view message) { fmt::print(stderr, "gpusched: {}\n", message); }

std::int64_t NowUnixSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace gpusched::cli
