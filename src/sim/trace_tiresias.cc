// The Tiresias example-trace reader: whole-GPU jobs with recorded durations.
#include <array>
#include <limits>
#include <set>

#include <fmt/format.h>

#include "sim/csv_rows.h"
#include "sim/trace_reader_util.h"
#include "sim/trace_readers.h"

namespace gpusched::sim {
namespace {

constexpr std::array<std::string_view, 7> kColumns = {
    "job_id", "num_gpu", "submit_time", "iterations", "model_name", "duration", "interval"};
enum Col : std::size_t {
  kJobId,
  kNumGpu,
  kSubmitTime,
  kIterations,
  kModelName,
  kDuration,
  kInterval
};

Status ValidateOptions(const TiresiasOptions& options) {
  if (Status st = ValidateClassMix(options.class_mix); !st) return st;
  return reader::ValidateInterval(options.checkpoint_interval_s);
}

// Row `ordinal` (0-based) as a job.
Result<TraceJob> ReadJob(const csv::Fields& f, std::size_t ordinal,
                         const TiresiasOptions& options) {
  const Result<std::int64_t> gpus =
      f.Int(kNumGpu, 1, std::numeric_limits<int>::max(), "an integer >= 1");
  if (!gpus) return tl::unexpected(gpus.error());
  const Result<std::int64_t> submit =
      f.Int(kSubmitTime, 0, reader::kMaxSeconds, "an integer of seconds >= 0");
  if (!submit) return tl::unexpected(submit.error());
  const Result<double> duration = f.NumberAbove(kDuration, 0, "a number > 0");
  if (!duration) return tl::unexpected(duration.error());
  if (*duration > reader::kMaxSecondsF) {
    return f.Bad(kDuration, fmt::format("at most {} (10 years)", reader::kMaxSeconds));
  }
  TraceJob job = reader::RecordedWholeGpuJob(
      static_cast<int>(*gpus), reader::WholeSecondsUp(*duration), options.checkpoint_interval_s);
  job.id = fmt::format("tiresias-{}", f.Text(kJobId));
  job.submit_s = *submit;
  job.tenant = "default";
  job.class_name = PickClass(options.class_mix, options.seed, ordinal);
  return job;
}

}  // namespace

Result<TraceRead> ParseTiresiasCsv(std::string_view text, const TiresiasOptions& options) {
  if (Status st = ValidateOptions(options); !st) return tl::unexpected(st.error());
  const Result<csv::Table> table = csv::Split(text, kColumns);
  if (!table) return tl::unexpected(table.error());
  std::vector<TraceJob> jobs;
  std::set<std::string_view> ids;
  for (std::size_t i = 0; i < table->rows.size(); ++i) {
    const csv::Fields f(*table, table->rows[i]);
    const Result<std::string_view> id = f.NonEmpty(kJobId);
    if (!id) return tl::unexpected(id.error());
    if (!ids.insert(*id).second) return f.Bad(kJobId, "unique");
    Result<TraceJob> job = ReadJob(f, i, options);
    if (!job) return tl::unexpected(job.error());
    jobs.push_back(std::move(*job));
  }
  const reader::DropCounter drops({});
  return reader::Finish(std::move(jobs), static_cast<int>(table->rows.size()), drops);
}

}  // namespace gpusched::sim
