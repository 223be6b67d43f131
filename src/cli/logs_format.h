// `gpusched logs`: what to ask GET /v1/jobs/ID/logs next and what to print
// from its answers (docs/openapi.yaml, the logs route). Pure: no I/O, no
// clock; cmd_logs.cc makes the requests and waits between polls.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/job_format.h"

namespace gpusched::cli {

// Whether a job in `state` ("succeeded", "failed", "cancelled") has ended.
bool IsFinalJobState(const std::string& state);

// Follows one job's log across its runs (`gpusched logs --follow`): reads
// the tail of the chosen run (or the newest), then reads on from where the
// last answer ended, and when the run is drained and the job has a newer run,
// moves to it from its first byte, printing "--- run R on node N ---" first.
// Done once the job has ended and the newest run is drained.
class LogFollower {
 public:
  // `run`: start with this run (nullopt: the newest with logs);
  // `tail_bytes`: of the first answer (nullopt: the server's default).
  LogFollower(std::optional<std::int64_t> run, std::optional<std::int64_t> tail_bytes);

  // The query parameters of the next request.
  std::vector<std::pair<std::string, std::string>> NextQuery() const;

  enum class Next {
    kNow,   // ask again at once (more to read, or a newer run)
    kWait,  // nothing new yet: ask again after a pause
    kDone,  // the job has ended and its log is drained
  };
  struct Step {
    std::string text;  // to print as it is
    Next next = Next::kWait;
  };
  // Takes the answer to NextQuery(). Throws nlohmann::json::exception on a
  // malformed answer.
  Step Take(const Json& answer);

 private:
  std::optional<std::int64_t> run_;
  std::optional<std::int64_t> after_;  // nullopt: read the tail
  std::optional<std::int64_t> tail_bytes_;
  bool header_due_ = false;  // a run was switched to: print its header first
  bool at_line_start_ = true;
};

}  // namespace gpusched::cli
