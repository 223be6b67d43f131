// The HTTP client of the REST API behind the client commands (`submit`,
// `jobs`, `describe`, ..., `events`), and the one function that runs such a
// command: call, then print the answer as text or as the server's JSON.
//
// Errors are values: every call returns the decoded body of a 2xx answer or
// an Error whose message is the line to print after "gpusched: ". Code
// kInvalidArgument marks a bad command line (exit kExitUsage), any other
// code a failed request (exit kExitFailure).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/job_format.h"
#include "gpusched/status.h"

namespace gpusched::cli {

// Query parameters, sent as given (an empty value too).
using Query = std::vector<std::pair<std::string, std::string>>;
// `query` without the pairs whose value is empty: the filters not given.
Query NonEmpty(Query query);

// `text` escaped as one segment of a URL path (a node name, say).
std::string PathSegment(std::string_view text);

// The base URL: --server, else $GPUSCHED_SERVER, else http://127.0.0.1:8080,
// without trailing slashes.
std::string ResolveServer(const ClientOptions& options);
// The bearer token: --token, else $GPUSCHED_TOKEN, else empty (none sent).
std::string ResolveToken(const ClientOptions& options);

// One connection's worth of REST calls to one server (connect timeout 5 s,
// read and write timeouts 30 s). Not thread-safe; cheap to create.
class ApiClient {
 public:
  explicit ApiClient(const ClientOptions& options);
  ~ApiClient();
  ApiClient(const ApiClient&) = delete;
  ApiClient& operator=(const ApiClient&) = delete;

  Result<Json> Get(const std::string& path, const Query& query = {});
  Result<Json> Post(const std::string& path, const Json& body);
  // POST of raw bytes, e.g. a YAML job file.
  Result<Json> PostText(const std::string& path, const std::string& body,
                        const std::string& content_type);
  Result<Json> Delete(const std::string& path, const Query& query);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs a client command: `request` on a fresh client, then prints the answer
// to stdout: with -o json the body, indented, keys in the server's order;
// else `text(body)`. A failed request, or a body `text` cannot read, is one
// line on stderr. Returns kExitOk, kExitUsage or kExitFailure.
int RunRequest(const ClientOptions& options, const std::function<Result<Json>(ApiClient&)>& request,
               const std::function<std::string(const Json&)>& text);

// Writes "gpusched: <message>" to stderr.
void PrintClientError(std::string_view message);

// The wall clock as Unix seconds, for times shown relative to now.
std::int64_t NowUnixSeconds();

}  // namespace gpusched::cli
