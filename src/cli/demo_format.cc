#include "cli/demo_format.h"

#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "cli/text_format.h"

namespace gpusched::cli {
namespace {

// The number after `marker` in `text`, if there is one.
std::optional<int> NumberAfter(const std::string& text, std::string_view marker) {
  const auto at = text.find(marker);
  if (at == std::string::npos) return std::nullopt;
  int value = 0;
  if (std::sscanf(text.c_str() + at + marker.size(), "%d", &value) != 1) return std::nullopt;
  return value;
}

std::string Where(const Json& job) {
  std::string out;
  if (!job.contains("placement")) return out;
  for (const Json& p : job["placement"]) {
    out += fmt::format("{}{} GPU {}", out.empty() ? "" : ", ", p.value("node", "?"), p.value("gpu", 0));
  }
  return out;
}

std::string Seconds(double s) { return s < 0 ? "-" : fmt::format("{:.1f}s", s); }

}  // namespace

std::string TimelineLine(double at_s, const std::string& text) {
  return fmt::format("{:>7.1f}s  {}", at_s, text);
}

void DemoTimeline::Submitted(const Json& job, double at_s) {
  DemoJob& j = jobs_[job.at("id").get<std::int64_t>()];
  j.id = job.at("id").get<std::int64_t>();
  j.name = job.value("name", "");
  j.tenant = job.value("tenant", "");
  j.class_name = job.value("class", "");
  j.submitted_s = at_s;
}

void DemoTimeline::Jobs(const Json& reply, double) {
  for (const Json& job : reply.at("jobs")) {
    auto it = jobs_.find(job.at("id").get<std::int64_t>());
    if (it == jobs_.end()) continue;
    DemoJob& j = it->second;
    j.state = job.value("state", j.state);
    if (j.name.empty()) j.name = job.value("name", "");
    if (j.tenant.empty()) j.tenant = job.value("tenant", "");
    if (j.class_name.empty()) j.class_name = job.value("class", "");
    if (job.contains("progress")) {
      j.epochs_done = job["progress"].value("epochs_done", 0);
      j.epochs_total = job["progress"].value("epochs_total", 0);
    }
    const std::string where = Where(job);
    if (!where.empty()) j.where = where;
  }
}

std::string DemoTimeline::Label(std::int64_t id) const {
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return fmt::format("job {}", id);
  return fmt::format("job {} {} ({})", id, it->second.name, it->second.class_name);
}

std::optional<std::string> DemoTimeline::Event(const Json& event, double at_s) {
  const std::int64_t id = event.value("job", std::int64_t{0});
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return std::nullopt;
  DemoJob& j = it->second;
  const std::string kind = event.value("kind", "");
  const std::string text = event.value("text", "");
  if (kind == "started") {
    ++j.runs;
    if (j.first_start_s < 0) {
      j.first_start_s = at_s;
      return TimelineLine(at_s, fmt::format("{} started on {}, {:.1f} s after it was submitted",
                                            Label(id), j.where, at_s - j.submitted_s));
    }
    const int from = j.pending_resume.value_or(0);
    j.resumed_from.push_back(from);
    j.pending_resume.reset();
    return TimelineLine(at_s, fmt::format("{} resumed on {} from its checkpoint at epoch {}",
                                          Label(id), j.where, from));
  }
  if (kind == "preempt") return TimelineLine(at_s, fmt::format("{} preempts: {}", Label(id), text));
  if (kind == "stop") {
    return TimelineLine(at_s, fmt::format("{}: SIGTERM; {}", Label(id), Shorten(text, 110)));
  }
  if (kind == "checkpoint" && text.find("while stopping") != std::string::npos) {
    return TimelineLine(at_s, fmt::format("{}: {}", Label(id), text));
  }
  if (kind == "requeued") {
    ++j.preemptions;
    j.pending_resume = NumberAfter(text, "checkpoint at epoch ").value_or(0);
    return TimelineLine(at_s, fmt::format("{} requeued: {}", Label(id), text));
  }
  if (kind == "succeeded" || kind == "failed" || kind == "cancelled") {
    j.state = kind;
    j.ended_s = at_s;
    return TimelineLine(at_s, fmt::format("{} {}{}", Label(id), kind,
                                          kind == "succeeded" ? "" : ": " + Shorten(text, 120)));
  }
  return std::nullopt;
}

bool DemoTimeline::AllEnded() const {
  return std::all_of(jobs_.begin(), jobs_.end(), [](const auto& entry) {
    const std::string& s = entry.second.state;
    return s == "succeeded" || s == "failed" || s == "cancelled";
  });
}

std::string DemoSummary(const std::map<std::int64_t, DemoJob>& jobs) {
  Table table({"ID", "NAME", "TENANT", "CLASS", "STATE", "WAITED", "RUNS", "PREEMPTED",
               "RESUMED FROM", "EPOCHS", "ENDED AT"});
  for (const auto& [id, j] : jobs) {
    std::string resumed;
    for (int e : j.resumed_from) resumed += (resumed.empty() ? "epoch " : ", ") + std::to_string(e);
    table.AddRow({std::to_string(id), j.name, j.tenant, j.class_name, j.state,
                  j.first_start_s < 0 ? "-" : Seconds(j.first_start_s - j.submitted_s),
                  std::to_string(j.runs), std::to_string(j.preemptions),
                  resumed.empty() ? "-" : resumed,
                  fmt::format("{}/{}", j.epochs_done, j.epochs_total), Seconds(j.ended_s)});
  }
  return table.Render();
}

Json DemoSummaryJson(const std::map<std::int64_t, DemoJob>& jobs, double elapsed_s) {
  Json list = Json::array();
  for (const auto& [id, j] : jobs) {
    list.push_back(Json{{"id", id},
                        {"name", j.name},
                        {"tenant", j.tenant},
                        {"class", j.class_name},
                        {"state", j.state},
                        {"submitted_s", j.submitted_s},
                        {"first_start_s", j.first_start_s},
                        {"ended_s", j.ended_s},
                        {"runs", j.runs},
                        {"preemptions", j.preemptions},
                        {"resumed_from", j.resumed_from},
                        {"epochs_done", j.epochs_done},
                        {"epochs_total", j.epochs_total}});
  }
  return Json{{"elapsed_s", elapsed_s}, {"jobs", list}};
}

}  // namespace gpusched::cli
