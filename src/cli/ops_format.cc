#include "cli/ops_format.h"

#include <vector>

#include <fmt/core.h>
#include <fmt/format.h>

#include "cli/text_format.h"

namespace gpusched::cli {
namespace {

std::string Str(const Json& j, const char* key) { return j.value(key, std::string()); }
std::int64_t Int(const Json& j, const char* key) { return j.value(key, std::int64_t{0}); }
bool Has(const Json& j, const char* key) { return j.contains(key) && !j[key].is_null(); }
std::string OrDash(std::string text) { return text.empty() ? "-" : text; }

std::string Expiry(const Json& freeze, std::int64_t now_s) {
  if (!Has(freeze, "expires_at")) return "never";
  return TimeAndRelative(Int(freeze, "expires_at"), now_s);
}

std::string GpuJobs(const Json& gpu) {
  std::vector<std::string> jobs;
  if (Has(gpu, "jobs")) {
    for (const Json& j : gpu["jobs"])
      jobs.push_back(fmt::format("{}({})", Int(j, "id"), Str(j, "class")));
  }
  return jobs.empty() ? "-" : fmt::format("{}", fmt::join(jobs, " "));
}

// "51C 35%": the agent's temperature and utilization readings, "-" if none.
std::string Readings(const Json& gpu) {
  std::vector<std::string> parts;
  if (Has(gpu, "temperature_c") && Int(gpu, "temperature_c") >= 0) {
    parts.push_back(fmt::format("{}C", Int(gpu, "temperature_c")));
  }
  if (Has(gpu, "utilization_pct") && Int(gpu, "utilization_pct") >= 0) {
    parts.push_back(fmt::format("{}%", Int(gpu, "utilization_pct")));
  }
  return parts.empty() ? "-" : fmt::format("{}", fmt::join(parts, " "));
}

std::string Health(const Json& gpu) {
  if (gpu.value("healthy", true)) return "healthy";
  const std::string why = Has(gpu, "health_reason") ? Str(gpu, "health_reason") : "";
  return why.empty() ? "UNHEALTHY" : "UNHEALTHY (" + why + ")";
}

// The GPU lines of one node, aligned among themselves, indented.
std::vector<std::string> GpuLines(const Json& node) {
  Table gpus({"", "", "", "", "", ""});  // index, type, memory, readings, health, jobs
  if (Has(node, "gpus")) {
    for (const Json& g : node["gpus"]) {
      gpus.AddRow({std::to_string(Int(g, "index")), OrDash(Str(g, "type")),
                   fmt::format("{}/{} MiB", Int(g, "allocated_mib"), Int(g, "memory_mib")),
                   Readings(g), Health(g), GpuJobs(g)});
    }
  }
  std::vector<std::string> lines = gpus.Lines();
  lines.erase(lines.begin());
  for (std::string& l : lines) l = "  gpu " + l;
  return lines;
}

std::string SlaTarget(const Json& row) {
  if (!Has(row, "target")) return "-";
  const Json& t = row["target"];
  return fmt::format("p{}<={}", Int(t, "percentile"), FormatDuration(Int(t, "max_wait_s")));
}

std::string Attainment(const Json& row) {
  if (!Has(row, "attainment")) return "-";
  return fmt::format("{:.1f}%", row["attainment"].get<double>() * 100.0);
}

std::string Pending(const Json& row) {
  const std::int64_t over = Int(row, "pending_over_target");
  return fmt::format("{}{}", Int(row, "pending"), over > 0 ? fmt::format(" ({} late)", over) : "");
}

}  // namespace

std::string FreezeText(const Json& reply, std::int64_t now_s) {
  const Json& f = Has(reply, "freeze") ? reply["freeze"] : reply;
  const std::string target = Str(f, "target");
  return fmt::format("frozen: {}{}{} until {}\n", Str(f, "scope"), target.empty() ? "" : " ",
                     target, Expiry(f, now_s));
}

std::string UnfreezeText(const Json& reply) {
  const std::int64_t n = Int(reply, "removed");
  return fmt::format("removed {} freeze{}\n", n, n == 1 ? "" : "s");
}

std::string FreezesText(const Json& reply, std::int64_t now_s) {
  if (!Has(reply, "freezes") || reply["freezes"].empty()) return "no freezes\n";
  Table table({"SCOPE", "TARGET", "EXPIRES"});
  for (const Json& f : reply["freezes"]) {
    table.AddRow({Str(f, "scope"), OrDash(Str(f, "target")), Expiry(f, now_s)});
  }
  return table.Render();
}

std::string NodesText(const Json& reply) {
  if (!Has(reply, "nodes") || reply["nodes"].empty()) {
    return "no nodes registered (start a gpusched agent on each GPU machine)\n";
  }
  Table table({"NAME", "STATE", "GPUS", "LABELS"});
  for (const Json& n : reply["nodes"]) {
    std::vector<std::string> labels;
    if (Has(n, "labels")) labels = n["labels"].get<std::vector<std::string>>();
    table.AddRow({Str(n, "name"), Str(n, "state"),
                  std::to_string(Has(n, "gpus") ? n["gpus"].size() : 0),
                  labels.empty() ? "-" : fmt::format("{}", fmt::join(labels, ","))});
  }
  const std::vector<std::string> node_lines = table.Lines();
  std::string out = node_lines[0] + "\n";
  for (std::size_t i = 0; i < reply["nodes"].size(); ++i) {
    out += node_lines[i + 1] + "\n";
    for (const std::string& l : GpuLines(reply["nodes"][i])) out += l + "\n";
  }
  return out;
}

std::string NodeChangeText(std::string_view what, const Json& node) {
  return fmt::format("node {} {}: state {}\n", Str(node, "name"), what, Str(node, "state"));
}

std::string SlaText(const Json& reply) {
  std::string out = fmt::format("SLA over the last {}\n", FormatDuration(Int(reply, "window_s")));
  Table table(
      {"CLASS", "TARGET", "STARTED", "MET", "ATTAINMENT", "P50", "P95", "PENDING", "OLDEST"});
  if (Has(reply, "classes")) {
    for (const Json& c : reply["classes"]) {
      const bool started = Int(c, "started") > 0;
      table.AddRow({Str(c, "class"), SlaTarget(c), std::to_string(Int(c, "started")),
                    std::to_string(Int(c, "met")), Attainment(c),
                    started ? FormatDuration(Int(c, "wait_p50_s")) : "-",
                    started ? FormatDuration(Int(c, "wait_p95_s")) : "-", Pending(c),
                    Int(c, "pending") > 0 ? FormatDuration(Int(c, "oldest_pending_s")) : "-"});
    }
  }
  return out + table.Render();
}

std::string EventsText(const Json& reply) {
  if (!Has(reply, "events") || reply["events"].empty()) return "no events\n";
  Table table({"SEQ", "TIME", "JOB", "KIND", "TEXT"});
  for (const Json& e : reply["events"]) {
    const bool job = Has(e, "job") && Int(e, "job") > 0;
    table.AddRow({std::to_string(Int(e, "seq")), LocalTime(Int(e, "time")),
                  job ? std::to_string(Int(e, "job")) : "-", Str(e, "kind"), Str(e, "text")});
  }
  return table.Render();
}

}  // namespace gpusched::cli
