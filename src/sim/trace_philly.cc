// The Philly reader: every row is checked, then filtered by window and VC,
// then turned into a whole-GPU job timed from the origin (the window's start
// or the earliest submission kept).
#include <algorithm>
#include <array>
#include <limits>

#include <fmt/format.h>

#include "sim/csv_rows.h"
#include "sim/trace_reader_util.h"
#include "sim/trace_readers.h"

namespace gpusched::sim {
namespace {

constexpr std::array<std::string_view, 5> kColumns = {"timestamp", "duration", "num_gpus",
                                                      "gpu_time", "cluster"};
enum Col : std::size_t { kTimestamp, kDuration, kNumGpus, kGpuTime, kCluster };

constexpr std::string_view kOutsideWindow = "outside the time window";
constexpr std::string_view kVcNotSelected = "VC not selected";

// One row's fields, checked.
struct PhillyRow {
  std::int64_t submitted = 0;  // ParseCivilTime seconds
  std::int64_t run_s = 0;
  int gpus = 0;
  std::string_view vc;
};

Result<PhillyRow> ReadRow(const csv::Fields& f) {
  PhillyRow r;
  const Result<std::int64_t> submitted = ParseCivilTime(f.Text(kTimestamp));
  if (!submitted) return f.Bad(kTimestamp, "a time YYYY-MM-DD HH:MM:SS");
  r.submitted = *submitted;
  const Result<double> duration = f.NumberAbove(kDuration, 0, "a number > 0");
  if (!duration) return tl::unexpected(duration.error());
  if (*duration > reader::kMaxSecondsF) {
    return f.Bad(kDuration, fmt::format("at most {} (10 years)", reader::kMaxSeconds));
  }
  r.run_s = reader::WholeSecondsUp(*duration);
  const Result<std::int64_t> gpus =
      f.Int(kNumGpus, 1, std::numeric_limits<int>::max(), "an integer >= 1");
  if (!gpus) return tl::unexpected(gpus.error());
  r.gpus = static_cast<int>(*gpus);
  const Result<std::string_view> vc = f.NonEmpty(kCluster);
  if (!vc) return tl::unexpected(vc.error());
  r.vc = *vc;
  return r;
}

Status ValidateOptions(const PhillyOptions& options) {
  if (Status st = ValidateClassMix(options.class_mix); !st) return st;
  if (Status st = reader::ValidateInterval(options.checkpoint_interval_s); !st) return st;
  if (options.window && options.window->start_s > options.window->end_s) {
    return MakeError(ErrorCode::kInvalidArgument, "window: start is after end");
  }
  return OkStatus();
}

// Why the options drop `r`, or an empty view when they keep it.
std::string_view DropReason(const PhillyRow& r, const PhillyOptions& options) {
  const std::optional<TimeWindow>& w = options.window;
  if (w && (r.submitted < w->start_s || r.submitted > w->end_s)) return kOutsideWindow;
  if (!options.vcs.empty() && !options.vcs.contains(r.vc)) return kVcNotSelected;
  return {};
}

}  // namespace

Result<TraceRead> ParsePhillyCsv(std::string_view text, const PhillyOptions& options) {
  if (Status st = ValidateOptions(options); !st) return tl::unexpected(st.error());
  const Result<csv::Table> table = csv::Split(text, kColumns);
  if (!table) return tl::unexpected(table.error());

  // 1. Check every row; keep those the window and VC filter select.
  reader::DropCounter drops({std::string(kOutsideWindow), std::string(kVcNotSelected)});
  std::vector<TraceJob> jobs;
  std::vector<std::int64_t> submitted;  // parallel to jobs
  for (std::size_t i = 0; i < table->rows.size(); ++i) {
    const Result<PhillyRow> r = ReadRow(csv::Fields(*table, table->rows[i]));
    if (!r) return tl::unexpected(r.error());
    if (const std::string_view reason = DropReason(*r, options); !reason.empty()) {
      drops.Drop(reason);
      continue;
    }
    TraceJob job = reader::RecordedWholeGpuJob(r->gpus, r->run_s, options.checkpoint_interval_s);
    job.id = fmt::format("philly-{}", i);
    job.tenant = std::string(r->vc);
    job.class_name = PickClass(options.class_mix, options.seed, i);
    jobs.push_back(std::move(job));
    submitted.push_back(r->submitted);
  }

  // 2. Time every job from the origin.
  std::int64_t origin = 0;
  if (options.window) {
    origin = options.window->start_s;
  } else if (!submitted.empty()) {
    origin = *std::min_element(submitted.begin(), submitted.end());
  }
  for (std::size_t j = 0; j < jobs.size(); ++j) jobs[j].submit_s = submitted[j] - origin;
  return reader::Finish(std::move(jobs), static_cast<int>(table->rows.size()), drops);
}

}  // namespace gpusched::sim
