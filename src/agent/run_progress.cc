#include "agent/run_progress.h"

#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <system_error>

namespace gpusched::agent {
namespace {

// An epoch above this is not a real epoch number (the spec allows 100000).
constexpr double kMaxEpoch = 1'000'000;

std::string_view Trim(std::string_view s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const auto end = s.find_last_not_of(" \t");
  return s.substr(begin, end - begin + 1);
}

// The first `count` comma-separated fields of `line`, trimmed (fewer when the
// line has fewer).
std::vector<std::string_view> LeadingFields(std::string_view line, std::size_t count) {
  std::vector<std::string_view> fields;
  while (fields.size() < count) {
    const auto comma = line.find(',');
    fields.push_back(Trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return fields;
}

std::optional<double> ParseDouble(std::string_view s) {
  double value = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

tl::unexpected<Error> LineError(int line, std::string_view what, std::string_view got) {
  std::string message = "results.csv line " + std::to_string(line) + ": ";
  message.append(what).append(", got \"").append(got).append("\"");
  return MakeError(ErrorCode::kInvalidArgument, std::move(message));
}

// Reads one data row into `out`.
Status ParseRow(std::string_view line, int line_no, bool has_time, ResultsCsv& out) {
  const std::vector<std::string_view> fields = LeadingFields(line, has_time ? 2 : 1);
  const std::optional<double> epoch = ParseDouble(fields[0]);
  if (!epoch || *epoch < 0 || *epoch > kMaxEpoch || std::floor(*epoch) != *epoch) {
    return LineError(line_no, "epoch must be a whole number from 0 to 1000000", fields[0]);
  }
  std::optional<double> time_s;
  if (has_time && fields.size() > 1 && !fields[1].empty()) {
    time_s = ParseDouble(fields[1]);
    if (!time_s) return LineError(line_no, "time must be a number", fields[1]);
  }
  out.rows += 1;
  out.last_epoch = static_cast<int>(*epoch);
  out.last_time_s = time_s;
  return OkStatus();
}

}  // namespace

Result<ResultsCsv> ParseResultsCsv(std::string_view text) {
  ResultsCsv out;
  bool seen_header = false;
  bool has_time = false;
  int line_no = 0;
  // Only lines ended by '\n': a trailing partial line is still being written.
  for (auto newline = text.find('\n'); newline != std::string_view::npos;
       newline = text.find('\n')) {
    std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (Trim(line).empty()) continue;
    const std::vector<std::string_view> head = LeadingFields(line, 2);
    if (!seen_header || head[0] == "epoch") {
      if (head[0] != "epoch") return LineError(line_no, "first column must be \"epoch\"", head[0]);
      seen_header = true;
      has_time = head.size() > 1 && head[1] == "time";
      continue;
    }
    if (Status row = ParseRow(line, line_no, has_time, out); !row) {
      return tl::unexpected(row.error());
    }
  }
  return out;
}

namespace {

std::optional<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

std::int64_t MtimeNs(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

RunFiles ReadRunFiles(const std::string& run_folder) {
  RunFiles files;
  if (std::optional<std::string> text = ReadWholeFile(run_folder + "/results.csv")) {
    if (Result<ResultsCsv> csv = ParseResultsCsv(*text)) {
      files.last_epoch = csv->last_epoch;
      files.last_time_s = csv->last_time_s;
    }
  }
  struct stat st {};
  const std::string results = run_folder + "/results.csv";
  if (::stat(results.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    files.results_mtime_ns = MtimeNs(st);
  }
  const std::string last_pt = run_folder + "/weights/last.pt";
  if (::stat(last_pt.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
    files.has_last_pt = true;
    files.last_pt_mtime_ns = MtimeNs(st);
    files.last_pt_size = static_cast<std::int64_t>(st.st_size);
  }
  return files;
}

ProgressTracker::ProgressTracker(int resume_epoch)
    : resume_(resume_epoch > 0), highest_epoch_(resume_epoch), checkpoint_epoch_(resume_epoch) {
  GPUSCHED_CHECK(resume_epoch >= 0, "ProgressTracker: negative resume epoch");
}

bool ProgressTracker::LastPtChanged(const RunFiles& now) const {
  if (!now.has_last_pt) return false;
  return !had_last_pt_ || now.last_pt_mtime_ns != last_pt_mtime_ns_ ||
         now.last_pt_size != last_pt_size_;
}

int ProgressTracker::CheckpointEpoch(const RunFiles& now) const {
  if (now.results_mtime_ns == 0 || now.last_pt_mtime_ns >= now.results_mtime_ns) {
    return now.last_epoch;  // saved after the last row: that row's epoch
  }
  // Saved before the last row: a lower bound of the epochs it may hold.
  return std::min(now.last_epoch - 1, std::max(prev_last_epoch_, checkpoint_epoch_ + 1));
}

ProgressTracker::Events ProgressTracker::Observe(const RunFiles& now) {
  Events events;
  for (int epoch = highest_epoch_ + 1; epoch <= now.last_epoch; ++epoch) {
    events.epochs.push_back(epoch);
  }
  highest_epoch_ = std::max(highest_epoch_, now.last_epoch);

  const bool resumed_from = first_ && resume_;  // the last.pt this run started from
  if (LastPtChanged(now) && !resumed_from) {
    if (const int epoch = CheckpointEpoch(now); epoch >= 1) {
      events.checkpoint = epoch;
      checkpoint_epoch_ = epoch;
    }
  }
  first_ = false;
  prev_last_epoch_ = now.last_epoch;
  had_last_pt_ = now.has_last_pt;
  last_pt_mtime_ns_ = now.last_pt_mtime_ns;
  last_pt_size_ = now.last_pt_size;
  return events;
}

}  // namespace gpusched::agent
