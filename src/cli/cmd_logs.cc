// `gpusched logs ID`: a job's run log (stdout and stderr together), a client
// of GET /v1/jobs/ID/logs; with --follow it polls until the job has ended.
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <fmt/core.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/logs_format.h"
#include "cli/output.h"

namespace gpusched::cli {
namespace {

constexpr std::chrono::seconds kPollEvery{1};

int Failed(const Error& e) {
  PrintClientError(e.message);
  return e.code == ErrorCode::kInvalidArgument ? kExitUsage : kExitFailure;
}

// Prints new output as it comes: each answer's text (or, with -o json, each
// answer), until the job has ended and its log is drained.
int Follow(const LogsOptions& o, const std::string& path) {
  ApiClient client(o.client);
  LogFollower follower(o.run, o.tail_bytes);
  while (true) {
    Result<Json> answer = client.Get(path, follower.NextQuery());
    if (!answer) return Failed(answer.error());
    LogFollower::Step step;
    try {
      step = follower.Take(*answer);
    } catch (const Json::exception& e) {
      PrintClientError(fmt::format("the server's answer is not as expected: {}", e.what()));
      return kExitFailure;
    }
    if (o.client.output == OutputFormat::kJson) {
      PrintJson(*answer);
    } else {
      fmt::print("{}", step.text);
    }
    std::fflush(stdout);
    if (step.next == LogFollower::Next::kDone) return kExitOk;
    if (step.next == LogFollower::Next::kWait) std::this_thread::sleep_for(kPollEvery);
  }
}

}  // namespace

int RunLogs(const LogsOptions& options) {
  const std::string path = fmt::format("/v1/jobs/{}/logs", options.id);
  if (options.follow) return Follow(options, path);
  Query query;
  if (options.run) query.emplace_back("run", std::to_string(*options.run));
  if (options.tail_bytes) query.emplace_back("tail_bytes", std::to_string(*options.tail_bytes));
  return RunRequest(
      options.client, [&](ApiClient& c) { return c.Get(path, query); },
      [&](const Json& answer) {
        std::string text = answer.at("text").get<std::string>();
        if (text.empty()) {
          fmt::print(stderr, "gpusched: no log output held for job {} ({})\n", options.id,
                     answer.at("job_state").get<std::string>());
        }
        return text;
      });
}

}  // namespace gpusched::cli
