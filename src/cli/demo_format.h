// `gpusched demo`'s story as text: the timeline lines it prints while the
// scenario runs, and the summary at the end. Pure: fed with the server's
// events and job views (JSON as the REST API gives them).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/job_format.h"

namespace gpusched::cli {

// What the demo learned about one job from the events and job views.
struct DemoJob {
  std::int64_t id = 0;
  std::string name;
  std::string tenant;
  std::string class_name;
  std::string state = "pending";
  double submitted_s = -1;      // demo clock
  double first_start_s = -1;    // demo clock, -1: not yet
  double ended_s = -1;
  int runs = 0;
  int preemptions = 0;
  int epochs_done = 0;
  int epochs_total = 0;
  std::vector<int> resumed_from;  // the checkpoint epoch of each resume
  std::optional<int> pending_resume;  // set by a requeue, used by the next start
  std::string where;              // "node-a:0" while running
};

// Follows events and job views; emits timeline lines.
class DemoTimeline {
 public:
  // A job the demo submitted, at demo time `at_s`.
  void Submitted(const Json& job_view, double at_s);
  // New job views (GET /v1/jobs): updates states, progress and placement.
  void Jobs(const Json& jobs, double at_s);
  // One event (GET /v1/events item) seen at demo time `at_s`; returns the
  // timeline line it makes, or nothing for events the story leaves out.
  std::optional<std::string> Event(const Json& event, double at_s);

  const std::map<std::int64_t, DemoJob>& jobs() const { return jobs_; }
  bool AllEnded() const;

 private:
  std::string Label(std::int64_t id) const;  // "job 18 scratch-defect-v3 (critical)"
  std::map<std::int64_t, DemoJob> jobs_;
};

// "  12.3s  text".
std::string TimelineLine(double at_s, const std::string& text);

// The summary table: one row per job, preempted and critical jobs first.
std::string DemoSummary(const std::map<std::int64_t, DemoJob>& jobs);

// The summary as JSON (for `--json` and the end-to-end test).
Json DemoSummaryJson(const std::map<std::int64_t, DemoJob>& jobs, double elapsed_s);

}  // namespace gpusched::cli
