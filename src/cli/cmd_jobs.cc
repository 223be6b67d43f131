// The job commands, clients of /v1/jobs: submit, jobs, describe, cancel,
// boost, approve.
#include <functional>
#include <iostream>
#include <iterator>
#include <string>

#include <fmt/core.h>

#include "cli/client.h"
#include "cli/commands.h"
#include "cli/job_format.h"
#include "sim/file_text.h"

namespace gpusched::cli {
namespace {

// The job file's bytes; "-" reads standard input.
Result<std::string> ReadJobFile(const std::string& file) {
  if (file != "-") return sim::ReadFileText(file);
  std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  if (std::cin.bad()) {
    return MakeError(ErrorCode::kFailedPrecondition, "cannot read standard input");
  }
  return text;
}

std::string ContentType(const std::string& file) {
  const bool json = file.size() >= 5 && file.compare(file.size() - 5, 5, ".json") == 0;
  return json ? "application/json" : "application/yaml";
}

std::string JobPath(std::int64_t id, std::string_view action = {}) {
  return action.empty() ? fmt::format("/v1/jobs/{}", id)
                        : fmt::format("/v1/jobs/{}/{}", id, action);
}

// A POST to /v1/jobs/ID/ACTION, answered with the job's view.
int RunJobAction(const ClientOptions& o, std::int64_t id, std::string_view action,
                 const std::function<std::string(const Json&)>& text,
                 const Json& body = Json::object()) {
  return RunRequest(
      o, [&](ApiClient& c) { return c.Post(JobPath(id, action), body); }, text);
}

}  // namespace

int RunSubmit(const SubmitOptions& options) {
  Result<std::string> body = ReadJobFile(options.file);
  if (!body) {
    PrintClientError(body.error().message);
    return kExitUsage;
  }
  return RunRequest(
      options.client,
      [&](ApiClient& c) { return c.PostText("/v1/jobs", *body, ContentType(options.file)); },
      SubmittedText);
}

int RunJobs(const JobsOptions& options) {
  const Query query = NonEmpty(
      {{"state", options.state}, {"tenant", options.tenant}, {"class", options.class_name}});
  return RunRequest(
      options.client, [&](ApiClient& c) { return c.Get("/v1/jobs", query); }, JobsText);
}

int RunDescribe(const JobOptions& options) {
  return RunRequest(
      options.client, [&](ApiClient& c) { return c.Get(JobPath(options.id)); },
      [](const Json& job) { return DescribeText(job, NowUnixSeconds()); });
}

int RunCancel(const JobOptions& options) {
  return RunJobAction(options.client, options.id, "cancel",
                      [](const Json& job) { return JobChangeText("cancelled", job); });
}

int RunApprove(const JobOptions& options) {
  return RunJobAction(options.client, options.id, "approve",
                      [](const Json& job) { return JobChangeText("approved", job); });
}

int RunBoost(const BoostOptions& options) {
  const Json body{{"class", options.class_name}, {"for_s", options.for_s}};
  return RunJobAction(
      options.client, options.id, "boost",
      [](const Json& job) { return BoostedText(job, NowUnixSeconds()); }, body);
}

}  // namespace gpusched::cli
