#include "server/log_store.h"

#include <algorithm>
#include <iterator>

#include <fmt/format.h>

#include "gpusched/status.h"

namespace gpusched::server {
namespace {

// Consecutive appends share a chunk up to this size, so that a run written
// a line at a time costs a few chunks, not one per line.
constexpr std::size_t kCoalesceBytes = 64 * 1024;

}  // namespace

std::string GapMarker(std::uint64_t bytes, std::string_view why) {
  return fmt::format("\n[... {} bytes {} ...]\n", bytes, why);
}

LogStore::LogStore(LogLimits limits) : limits_(limits) {
  GPUSCHED_CHECK(limits_.run_bytes > 0 && limits_.chunks_per_run > 0 && limits_.runs_per_job > 0 &&
                     limits_.total_bytes / limits_.runs_per_job >= limits_.run_bytes,
                 "LogStore limits: every limit > 0 and total_bytes >= run_bytes * runs_per_job");
}

void LogStore::Append(JobId job, std::uint64_t run, std::string_view node, std::uint64_t offset,
                      std::string_view text) {
  if (text.empty()) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto job_it = jobs_.find(job);
  if (job_it != jobs_.end()) {
    const auto& runs = job_it->second.runs;
    const auto run_it = runs.find(run);
    if (run_it == runs.end() && runs.size() >= limits_.runs_per_job && run < runs.begin()->first) {
      return;  // older than every run kept: it would go at once
    }
    if (run_it != runs.end() && offset < run_it->second.end) {
      const std::uint64_t held = run_it->second.end - offset;
      if (held >= text.size()) return;  // all of it is held (or was dropped) already
      text.remove_prefix(static_cast<std::size_t>(held));
      offset += held;
    }
  }
  if (text.size() > limits_.run_bytes) {  // only its newest bytes would stay
    const std::size_t drop = text.size() - limits_.run_bytes;
    text.remove_prefix(drop);
    offset += drop;
  }
  if (job_it == jobs_.end()) {
    job_it = jobs_.emplace(job, Job{}).first;
    job_it->second.lru = lru_.insert(lru_.end(), job);
  } else {
    lru_.splice(lru_.end(), lru_, job_it->second.lru);
  }
  Run& r = job_it->second.runs[run];
  if (r.chunks.empty()) r.node = std::string(node);
  if (!r.chunks.empty() && r.chunks.back().end() == offset &&
      r.chunks.back().text.size() < kCoalesceBytes) {
    r.chunks.back().text.append(text);
  } else {
    r.chunks.push_back(Chunk{offset, std::string(text)});
  }
  r.bytes += text.size();
  total_ += text.size();
  r.end = offset + text.size();
  TrimRun(r);
  TrimJob(job_it->second);
  EvictUntilWithinTotal();
}

void LogStore::TrimRun(Run& r) {
  while (r.bytes > limits_.run_bytes || r.chunks.size() > limits_.chunks_per_run) {
    Chunk& front = r.chunks.front();
    const std::size_t excess = r.bytes > limits_.run_bytes ? r.bytes - limits_.run_bytes : 0;
    if (r.chunks.size() > limits_.chunks_per_run || front.text.size() <= excess) {
      r.bytes -= front.text.size();
      total_ -= front.text.size();
      r.chunks.pop_front();
      continue;
    }
    front.text.erase(0, excess);
    if (front.text.capacity() > 2 * front.text.size() + 4096) front.text.shrink_to_fit();
    front.offset += excess;
    r.bytes -= excess;
    total_ -= excess;
  }
}

void LogStore::TrimJob(Job& job) {
  while (job.runs.size() > limits_.runs_per_job) {
    total_ -= job.runs.begin()->second.bytes;
    job.runs.erase(job.runs.begin());
  }
}

void LogStore::EvictUntilWithinTotal() {
  while (total_ > limits_.total_bytes && !lru_.empty()) {
    const auto it = jobs_.find(lru_.front());
    for (const auto& [id, run] : it->second.runs) total_ -= run.bytes;
    jobs_.erase(it);
    lru_.pop_front();
  }
}

std::size_t LogStore::total_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

namespace {

// Appends to `out` up to `max_bytes` held bytes of `chunks` from chunk `i`,
// byte `pos` on, with a marker for each gap; returns the offset after the
// last byte taken.
template <typename Chunks>
std::uint64_t Render(const Chunks& chunks, std::size_t i, std::size_t pos, std::size_t max_bytes,
                     std::string& out) {
  std::uint64_t end = chunks[i].offset + pos;
  for (std::size_t j = i; j < chunks.size() && max_bytes > 0; ++j, pos = 0) {
    const auto& c = chunks[j];
    if (c.offset > end) out += GapMarker(c.offset - end);
    const std::size_t take = std::min(max_bytes, c.text.size() - pos);
    out.append(c.text, pos, take);
    max_bytes -= take;
    end = c.offset + pos + take;
  }
  return end;
}

}  // namespace

LogSlice LogStore::ReadTail(const Run& r, std::size_t max_bytes) {
  std::size_t i = r.chunks.size();
  std::size_t pos = 0;
  for (std::size_t need = max_bytes; i > 0 && need > 0;) {
    const std::size_t size = r.chunks[--i].text.size();
    pos = size > need ? size - need : 0;
    need -= size - pos;
  }
  LogSlice out;
  out.start = r.chunks[i].offset + pos;
  out.end = Render(r.chunks, i, pos, max_bytes, out.text);
  return out;
}

LogSlice LogStore::ReadAfter(const Run& r, std::uint64_t after, std::size_t max_bytes) {
  LogSlice out;
  if (after >= r.end) {
    out.start = out.end = after;
    return out;
  }
  const auto first = std::find_if(r.chunks.begin(), r.chunks.end(),
                                  [&](const Chunk& c) { return c.end() > after; });
  const auto i = static_cast<std::size_t>(std::distance(r.chunks.begin(), first));
  const std::size_t pos =
      after > first->offset ? static_cast<std::size_t>(after - first->offset) : 0;
  out.start = first->offset + pos;
  if (out.start > after) {
    out.text =
        GapMarker(out.start - after, after < r.chunks.front().offset ? "not kept" : "not received");
  }
  out.end = Render(r.chunks, i, pos, max_bytes, out.text);
  out.more = out.end < r.end;
  return out;
}

LogSlice LogStore::Read(JobId job, const LogQuery& query) const {
  GPUSCHED_CHECK(query.max_bytes > 0, "LogStore::Read with max_bytes 0");
  std::lock_guard<std::mutex> lock(mu_);
  const auto job_it = jobs_.find(job);
  std::vector<std::uint64_t> runs;
  const Run* run = nullptr;
  std::optional<std::uint64_t> run_id = query.run;
  if (job_it != jobs_.end()) {
    for (const auto& [id, r] : job_it->second.runs) runs.push_back(id);
    if (!run_id && !runs.empty()) run_id = runs.back();
    const auto it = run_id ? job_it->second.runs.find(*run_id) : job_it->second.runs.end();
    if (it != job_it->second.runs.end()) run = &it->second;
  }
  LogSlice out;
  if (run != nullptr) {
    out = query.after ? ReadAfter(*run, *query.after, query.max_bytes)
                      : ReadTail(*run, query.max_bytes);
    out.node = run->node;
  } else {
    out.start = out.end = query.after.value_or(0);
  }
  out.run = run_id;
  out.runs = std::move(runs);
  return out;
}

}  // namespace gpusched::server
