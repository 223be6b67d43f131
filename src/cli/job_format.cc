#include "cli/job_format.h"

#include <vector>

#include <fmt/core.h>

#include "cli/text_format.h"

namespace gpusched::cli {
namespace {

constexpr std::size_t kReasonChars = 60;  // a wait reason in the jobs table
constexpr int kKeyWidth = 17;             // "Predicted start: "

std::string Str(const Json& j, const char* key) { return j.value(key, std::string()); }
std::int64_t Int(const Json& j, const char* key) { return j.value(key, std::int64_t{0}); }
bool Has(const Json& j, const char* key) { return j.contains(key) && !j[key].is_null(); }

std::string Placement(const Json& job) {
  std::string out;
  if (!Has(job, "placement")) return out;
  for (const Json& g : job["placement"]) {
    if (!out.empty()) out += ',';
    out += fmt::format("{}:{}", Str(g, "node"), Int(g, "gpu"));
  }
  return out;
}

bool IsEnded(const std::string& state) {
  return state == "succeeded" || state == "failed" || state == "cancelled";
}

// "reason" or "reason, exit code 3".
std::string EndText(const Json& job) {
  std::string out = Str(job, "end_reason");
  if (Has(job, "exit_code")) {
    out += fmt::format("{}exit code {}", out.empty() ? "" : ", ", Int(job, "exit_code"));
  }
  return out;
}

void Line(std::string& out, std::string_view key, std::string_view value) {
  out += fmt::format("{:<{}}{}\n", fmt::format("{}:", key), kKeyWidth, value);
}

std::string ClassText(const Json& job, std::int64_t now_s) {
  std::string out = Str(job, "class");
  if (Has(job, "boost")) {
    const Json& b = job["boost"];
    out += fmt::format(" (boosted to {} until {})", Str(b, "class"),
                       TimeAndRelative(Int(b, "expires_at"), now_s));
  }
  return out;
}

// "medium", or "medium->critical" while a boost lasts.
std::string ClassCell(const Json& job) {
  if (!Has(job, "boost")) return Str(job, "class");
  return fmt::format("{}->{}", Str(job, "class"), Str(job["boost"], "class"));
}

std::string StateText(const Json& job) {
  std::string out = Str(job, "state");
  if (job.value("awaiting_approval", false)) out += " (awaiting an operator's approval)";
  return out;
}

void AddTimes(std::string& out, const Json& job, std::int64_t now_s) {
  Line(out, "Submitted", TimeAndRelative(Int(job, "submitted_at"), now_s));
  if (Has(job, "started_at")) Line(out, "Started", TimeAndRelative(Int(job, "started_at"), now_s));
  if (Has(job, "ended_at")) {
    const std::string end = EndText(job);
    Line(out, "Ended",
         TimeAndRelative(Int(job, "ended_at"), now_s) + (end.empty() ? "" : ": ") + end);
  }
}

void AddWait(std::string& out, const Json& job) {
  if (Str(job, "state") != "pending") return;
  if (!Has(job, "wait")) {
    Line(out, "Waiting",
         job.value("awaiting_approval", false) ? "an operator's approval (gpusched approve ID)"
                                               : "not yet seen by a scheduling cycle");
    return;
  }
  const Json& w = job["wait"];
  Line(out, "Waiting", fmt::format("{}: {}", Str(w, "code"), Str(w, "reason")));
  if (Has(w, "position")) Line(out, "Queue position", std::to_string(Int(w, "position")));
  if (Has(w, "predicted_start_in_s")) {
    Line(out, "Predicted start", FormatRelative(Int(w, "predicted_start_in_s")));
  }
}

void AddHistory(std::string& out, const Json& job) {
  if (!Has(job, "history")) return;
  out += "History:\n";
  if (job["history"].empty()) {
    out += "  (none)\n";
    return;
  }
  Table events({"", "", ""});  // time, kind, text; no header
  for (const Json& e : job["history"]) {
    events.AddRow({LocalTime(Int(e, "time")), Str(e, "kind"), Str(e, "text")});
  }
  const std::vector<std::string> lines = events.Lines();
  for (std::size_t i = 1; i < lines.size(); ++i) out += "  " + lines[i] + "\n";
}

}  // namespace

std::string SubmittedText(const Json& reply) {
  return fmt::format("job {} submitted: {}, class {}, tenant {}\n", Int(reply, "id"),
                     Str(reply, "state"), Str(reply, "class"), Str(reply, "tenant"));
}

std::string WhereOrWhy(const Json& job) {
  const std::string state = Str(job, "state");
  if (IsEnded(state)) return EndText(job);
  if (state != "pending") return Placement(job);
  if (job.value("awaiting_approval", false)) return "awaiting approval";
  if (!Has(job, "wait")) return "queued";
  const Json& w = job["wait"];
  const std::string reason = Str(w, "reason");
  return Shorten(reason.empty() ? Str(w, "code") : reason, kReasonChars);
}

std::string ProgressCell(const Json& job) {
  if (!Has(job, "progress")) return "-";
  const Json& p = job["progress"];
  const std::int64_t done = Int(p, "epochs_done");
  const std::int64_t total = Int(p, "epochs_total");
  if (total <= 0) return done > 0 ? fmt::format("{}/?", done) : "-";
  return fmt::format("{}/{}", done, total);
}

std::string JobsText(const Json& reply) {
  if (!Has(reply, "jobs") || reply["jobs"].empty()) return "no jobs\n";
  Table table({"ID", "NAME", "TENANT", "CLASS", "STATE", "GPUS", "PROGRESS", "WHERE/WHY"});
  for (const Json& job : reply["jobs"]) {
    table.AddRow({std::to_string(Int(job, "id")), Str(job, "name"), Str(job, "tenant"),
                  ClassCell(job), Str(job, "state"), std::to_string(Int(job, "gpus")),
                  ProgressCell(job), WhereOrWhy(job)});
  }
  return table.Render();
}

std::string DescribeText(const Json& job, std::int64_t now_s) {
  std::string out;
  Line(out, "Job", std::to_string(Int(job, "id")));
  Line(out, "Name", Str(job, "name").empty() ? "-" : Str(job, "name"));
  Line(out, "Tenant", Str(job, "tenant"));
  Line(out, "Class", ClassText(job, now_s));
  Line(out, "State", StateText(job));
  Line(out, "GPUs",
       fmt::format("{}{}", Int(job, "gpus"), job.value("exclusive", false) ? " (exclusive)" : ""));
  Line(out, "Memory per GPU", fmt::format("{} MiB", Int(job, "memory_per_gpu_mib")));
  std::string progress = ProgressCell(job);
  if (Has(job, "progress") && Int(job["progress"], "checkpoint_epoch") > 0) {
    progress += fmt::format(" (checkpoint at epoch {})", Int(job["progress"], "checkpoint_epoch"));
  }
  Line(out, "Progress", progress);
  const std::string placement = Placement(job);
  if (!placement.empty()) Line(out, "Placement", placement);
  Line(out, "Preemptions", std::to_string(Int(job, "preemptions")));
  AddTimes(out, job, now_s);
  AddWait(out, job);
  AddHistory(out, job);
  return out;
}

std::string JobChangeText(std::string_view what, const Json& job) {
  return fmt::format("job {} {}: state {}\n", Int(job, "id"), what, Str(job, "state"));
}

std::string BoostedText(const Json& job, std::int64_t now_s) {
  if (!Has(job, "boost")) return JobChangeText("boosted", job);
  const Json& b = job["boost"];
  return fmt::format("job {} boosted to {} until {}: state {}\n", Int(job, "id"), Str(b, "class"),
                     TimeAndRelative(Int(b, "expires_at"), now_s), Str(job, "state"));
}

}  // namespace gpusched::cli
