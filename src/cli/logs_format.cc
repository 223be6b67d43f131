#include "cli/logs_format.h"

#include <fmt/core.h>

namespace gpusched::cli {
namespace {

// Reading on (after an offset) asks for as much as the server gives at once.
constexpr std::int64_t kMaxBytesPerRead = 1024 * 1024;

}  // namespace

bool IsFinalJobState(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled";
}

LogFollower::LogFollower(std::optional<std::int64_t> run, std::optional<std::int64_t> tail_bytes)
    : run_(run), tail_bytes_(tail_bytes) {}

std::vector<std::pair<std::string, std::string>> LogFollower::NextQuery() const {
  std::vector<std::pair<std::string, std::string>> query;
  if (run_) query.emplace_back("run", std::to_string(*run_));
  if (after_) {
    query.emplace_back("after", std::to_string(*after_));
    query.emplace_back("tail_bytes", std::to_string(kMaxBytesPerRead));
  } else if (tail_bytes_) {
    query.emplace_back("tail_bytes", std::to_string(*tail_bytes_));
  }
  return query;
}

LogFollower::Step LogFollower::Take(const Json& answer) {
  Step step;
  const bool ended = IsFinalJobState(answer.at("job_state").get<std::string>());
  if (answer.at("run").is_null()) {  // no logs yet
    step.next = ended ? Next::kDone : Next::kWait;
    return step;
  }
  const auto run = answer.at("run").get<std::int64_t>();
  if (header_due_) {
    if (!at_line_start_) step.text += "\n";
    const Json& node = answer.at("node");
    step.text += fmt::format("--- run {} on node {} ---\n", run,
                             node.is_null() ? "-" : node.get<std::string>());
    header_due_ = false;
  }
  step.text += answer.at("text").get<std::string>();
  if (!step.text.empty()) at_line_start_ = step.text.back() == '\n';
  run_ = run;
  after_ = answer.at("end").get<std::int64_t>();
  if (answer.at("more").get<bool>()) {
    step.next = Next::kNow;
    return step;
  }
  for (const Json& newer : answer.at("runs")) {
    if (newer.get<std::int64_t>() <= run) continue;
    run_ = newer.get<std::int64_t>();  // the run is over: a newer one has logs
    after_ = 0;
    header_due_ = true;
    step.next = Next::kNow;
    return step;
  }
  step.next = ended ? Next::kDone : Next::kWait;
  return step;
}

}  // namespace gpusched::cli
