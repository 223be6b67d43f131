// The in-memory run logs: order, overlaps, gaps, the per-run, per-job and
// overall bounds, and a randomized comparison with a byte-by-byte model.
#include "server/log_store.h"

#include <random>

#include <gtest/gtest.h>

namespace gpusched::server {
namespace {

constexpr JobId kJob = 7;

LogSlice Tail(const LogStore& s, JobId job, std::size_t max_bytes = 65536,
              std::optional<std::uint64_t> run = std::nullopt) {
  return s.Read(job, LogQuery{run, std::nullopt, max_bytes});
}

LogSlice After(const LogStore& s, JobId job, std::uint64_t after, std::size_t max_bytes = 65536,
               std::optional<std::uint64_t> run = std::nullopt) {
  return s.Read(job, LogQuery{run, after, max_bytes});
}

LogLimits Small(std::size_t run_bytes, std::size_t runs_per_job = 5, std::size_t total = 1 << 20) {
  LogLimits l;
  l.run_bytes = run_bytes;
  l.runs_per_job = runs_per_job;
  l.total_bytes = total;
  return l;
}

TEST(LogStore, AJobWithoutLogsReadsAsNoRun) {
  LogStore s;
  const LogSlice slice = Tail(s, kJob);
  EXPECT_FALSE(slice.run.has_value());
  EXPECT_TRUE(slice.runs.empty());
  EXPECT_EQ(slice.text, "");
  EXPECT_EQ(slice.end, 0u);
}

TEST(LogStore, AppendsInOrderAreReadBackWhole) {
  LogStore s;
  s.Append(kJob, 3, "node-a", 0, "hello ");
  s.Append(kJob, 3, "node-a", 6, "world\n");
  const LogSlice slice = Tail(s, kJob);
  EXPECT_EQ(slice.run, 3u);
  EXPECT_EQ(slice.node, "node-a");
  EXPECT_EQ(slice.runs, std::vector<std::uint64_t>{3});
  EXPECT_EQ(slice.text, "hello world\n");
  EXPECT_EQ(slice.start, 0u);
  EXPECT_EQ(slice.end, 12u);
  EXPECT_FALSE(slice.more);
  EXPECT_EQ(s.total_bytes(), 12u);
}

TEST(LogStore, BytesAlreadyHeldAreIgnoredWhenResent) {
  LogStore s;
  s.Append(kJob, 1, "n", 0, "0123456789");
  s.Append(kJob, 1, "n", 0, "XXXXX");       // all held already
  s.Append(kJob, 1, "n", 5, "XXXXXabcde");  // overlaps 5, adds 5
  s.Append(kJob, 1, "n", 0, "");            // empty: nothing
  EXPECT_EQ(Tail(s, kJob).text, "0123456789abcde");
  EXPECT_EQ(s.total_bytes(), 15u);
}

TEST(LogStore, AGapIsKeptAsAMarker) {
  LogStore s;
  s.Append(kJob, 1, "n", 0, "hello");
  s.Append(kJob, 1, "n", 10, "world");
  const LogSlice slice = Tail(s, kJob);
  EXPECT_EQ(slice.text, "hello\n[... 5 bytes not received ...]\nworld");
  EXPECT_EQ(slice.start, 0u);
  EXPECT_EQ(slice.end, 15u);
  s.Append(kJob, 1, "n", 5, "late!");  // a gap is never filled later
  EXPECT_EQ(Tail(s, kJob).text, "hello\n[... 5 bytes not received ...]\nworld");
}

TEST(LogStore, TheTailIsTheNewestBytes) {
  LogStore s;
  s.Append(kJob, 1, "n", 0, "hello");
  s.Append(kJob, 1, "n", 10, "world");
  LogSlice slice = Tail(s, kJob, 3);
  EXPECT_EQ(slice.text, "rld");
  EXPECT_EQ(slice.start, 12u);
  EXPECT_EQ(slice.end, 15u);
  EXPECT_FALSE(slice.more);
  slice = Tail(s, kJob, 7);
  EXPECT_EQ(slice.text, "lo\n[... 5 bytes not received ...]\nworld") << "markers are not counted";
  EXPECT_EQ(slice.start, 3u);
}

TEST(LogStore, AfterReadsOnFromAnOffsetAndSaysWhetherMoreIsHeld) {
  LogStore s;
  s.Append(kJob, 1, "n", 0, "hello");
  s.Append(kJob, 1, "n", 10, "world");
  LogSlice slice = After(s, kJob, 2, 3);
  EXPECT_EQ(slice.text, "llo");
  EXPECT_EQ(slice.start, 2u);
  EXPECT_EQ(slice.end, 5u);
  EXPECT_TRUE(slice.more);
  slice = After(s, kJob, slice.end, 3);
  EXPECT_EQ(slice.text, "\n[... 5 bytes not received ...]\nwor") << "reading on across the gap";
  EXPECT_EQ(slice.start, 10u);
  EXPECT_EQ(slice.end, 13u);
  EXPECT_TRUE(slice.more);
  slice = After(s, kJob, slice.end);
  EXPECT_EQ(slice.text, "ld");
  EXPECT_FALSE(slice.more);
  slice = After(s, kJob, 15);
  EXPECT_EQ(slice.text, "");
  EXPECT_EQ(slice.start, 15u);
  EXPECT_EQ(slice.end, 15u);
  EXPECT_FALSE(slice.more);
  slice = After(s, kJob, 40);
  EXPECT_EQ(slice.start, 40u) << "after the end: nothing yet, from there";
  EXPECT_EQ(slice.end, 40u);
}

TEST(LogStore, ThePerRunCapKeepsTheNewestBytesAndWhereTheyStart) {
  LogStore s(Small(10));
  s.Append(kJob, 1, "n", 0, "abcdefgh");
  s.Append(kJob, 1, "n", 8, "ijklmnop");
  s.Append(kJob, 1, "n", 16, "qrstuvwxy");
  LogSlice slice = Tail(s, kJob);
  EXPECT_EQ(slice.text, "pqrstuvwxy");
  EXPECT_EQ(slice.start, 15u);
  EXPECT_EQ(slice.end, 25u);
  EXPECT_EQ(s.total_bytes(), 10u);
  slice = After(s, kJob, 0);
  EXPECT_EQ(slice.text, "\n[... 15 bytes not kept ...]\npqrstuvwxy");
  EXPECT_EQ(slice.start, 15u);
  s.Append(kJob, 1, "n", 3, "dropped");  // bytes 3..9 once held: not taken back
  EXPECT_EQ(Tail(s, kJob).text, "pqrstuvwxy");
}

TEST(LogStore, APieceLargerThanTheCapKeepsItsTail) {
  LogStore s(Small(4));
  s.Append(kJob, 1, "n", 0, "ab");
  s.Append(kJob, 1, "n", 2, "cdefghij");
  const LogSlice slice = Tail(s, kJob);
  EXPECT_EQ(slice.text, "ghij");
  EXPECT_EQ(slice.start, 6u);
  EXPECT_EQ(s.total_bytes(), 4u);
}

TEST(LogStore, TooManyGapsDropTheOldestChunks) {
  LogLimits limits;
  limits.chunks_per_run = 2;
  LogStore s(limits);
  s.Append(kJob, 1, "n", 0, "a");
  s.Append(kJob, 1, "n", 2, "b");
  s.Append(kJob, 1, "n", 4, "c");
  const LogSlice slice = Tail(s, kJob);
  EXPECT_EQ(slice.text, "b\n[... 1 bytes not received ...]\nc");
  EXPECT_EQ(slice.start, 2u);
  EXPECT_EQ(s.total_bytes(), 2u);
}

TEST(LogStore, AJobKeepsItsNewestRunsAndReadsTheNewestByDefault) {
  LogStore s(Small(100, 2));
  s.Append(kJob, 1, "node-a", 0, "one");
  s.Append(kJob, 4, "node-b", 0, "four");
  s.Append(kJob, 9, "node-c", 0, "nine");
  LogSlice slice = Tail(s, kJob);
  EXPECT_EQ(slice.runs, (std::vector<std::uint64_t>{4, 9}));
  EXPECT_EQ(slice.run, 9u);
  EXPECT_EQ(slice.node, "node-c");
  EXPECT_EQ(slice.text, "nine");
  slice = Tail(s, kJob, 65536, 4);
  EXPECT_EQ(slice.text, "four");
  EXPECT_EQ(slice.node, "node-b");
  slice = Tail(s, kJob, 65536, 1);
  EXPECT_EQ(slice.run, 1u) << "a run without logs is answered empty";
  EXPECT_EQ(slice.text, "");
  EXPECT_EQ(slice.node, "");
  s.Append(kJob, 1, "node-a", 3, " more");  // older than both kept runs
  EXPECT_EQ(Tail(s, kJob).runs, (std::vector<std::uint64_t>{4, 9}));
  EXPECT_EQ(s.total_bytes(), 8u);
}

TEST(LogStore, OverTheTotalCapTheLeastRecentlyWrittenJobsAreForgotten) {
  LogStore s(Small(10, 2, 40));
  s.Append(1, 1, "n", 0, "aaaaaaaaaa");
  s.Append(2, 1, "n", 0, "bbbbbbbbbb");
  s.Append(3, 1, "n", 0, "cccccccccc");
  s.Append(1, 2, "n", 0, "aaaaa");  // job 1 written last: job 2 is now the oldest
  EXPECT_EQ(s.total_bytes(), 35u);
  s.Append(4, 1, "n", 0, "dddddddddd");
  EXPECT_EQ(s.total_bytes(), 35u);
  EXPECT_FALSE(Tail(s, 2).run.has_value());
  EXPECT_EQ(Tail(s, 1).text, "aaaaa");
  EXPECT_EQ(Tail(s, 3).text, "cccccccccc");
  EXPECT_EQ(Tail(s, 4).text, "dddddddddd");
}

// --- randomized: the store against a byte-by-byte model ----------------------

// Every held byte with its offset; bounds applied byte by byte.
class Model {
 public:
  explicit Model(LogLimits limits) : limits_(limits) {}

  void Append(JobId job, std::uint64_t run, const std::string& node, std::uint64_t offset,
              const std::string& text) {
    auto& runs = jobs_[job];
    const bool known = runs.count(run) > 0;
    Run fresh;
    Run& r = known ? runs[run] : fresh;
    std::vector<std::pair<std::uint64_t, char>> added;
    for (std::size_t k = 0; k < text.size(); ++k) {
      if (offset + k >= r.end) added.emplace_back(offset + k, text[k]);
    }
    if (added.empty() ||
        (!known && runs.size() >= limits_.runs_per_job && run < runs.begin()->first)) {
      if (runs.empty()) jobs_.erase(job);
      return;
    }
    if (!known) fresh.node = node;
    Run& target = known ? r : (runs[run] = fresh);
    for (const auto& b : added) target.bytes.push_back(b);
    target.end = added.back().first + 1;
    while (target.bytes.size() > limits_.run_bytes) target.bytes.erase(target.bytes.begin());
    while (runs.size() > limits_.runs_per_job) runs.erase(runs.begin());
    std::erase(lru_, job);
    lru_.push_back(job);
    while (Total() > limits_.total_bytes) {
      jobs_.erase(lru_.front());
      lru_.erase(lru_.begin());
    }
  }

  LogSlice Read(JobId job, const LogQuery& q) const {
    LogSlice out;
    out.run = q.run;
    const auto j = jobs_.find(job);
    if (j != jobs_.end()) {
      for (const auto& [id, r] : j->second) out.runs.push_back(id);
      if (!out.run) out.run = out.runs.back();
    }
    const Run* r = nullptr;
    if (j != jobs_.end() && j->second.count(*out.run)) r = &j->second.at(*out.run);
    if (r == nullptr) {
      out.start = out.end = q.after.value_or(0);
      return out;
    }
    out.node = r->node;
    std::vector<std::pair<std::uint64_t, char>> taken;
    if (!q.after) {
      const std::size_t from = r->bytes.size() > q.max_bytes ? r->bytes.size() - q.max_bytes : 0;
      taken.assign(r->bytes.begin() + static_cast<std::ptrdiff_t>(from), r->bytes.end());
    } else {
      for (const auto& b : r->bytes) {
        if (b.first >= *q.after && taken.size() < q.max_bytes) taken.push_back(b);
      }
    }
    if (taken.empty()) {
      out.start = out.end = *q.after;
      return out;
    }
    out.start = taken.front().first;
    if (q.after && out.start > *q.after) {
      out.text = GapMarker(out.start - *q.after,
                           *q.after < r->bytes.front().first ? "not kept" : "not received");
    }
    for (std::size_t k = 0; k < taken.size(); ++k) {
      if (k > 0 && taken[k].first != taken[k - 1].first + 1) {
        out.text += GapMarker(taken[k].first - taken[k - 1].first - 1);
      }
      out.text += taken[k].second;
    }
    out.end = taken.back().first + 1;
    out.more = q.after && out.end < r->end;
    return out;
  }

  std::size_t Total() const {
    std::size_t total = 0;
    for (const auto& [job, runs] : jobs_) {
      for (const auto& [id, r] : runs) total += r.bytes.size();
    }
    return total;
  }

  std::uint64_t End(JobId job, std::uint64_t run) const {
    const auto j = jobs_.find(job);
    if (j == jobs_.end() || !j->second.count(run)) return 0;
    return j->second.at(run).end;
  }

 private:
  struct Run {
    std::string node;
    std::vector<std::pair<std::uint64_t, char>> bytes;
    std::uint64_t end = 0;
  };
  LogLimits limits_;
  std::map<JobId, std::map<std::uint64_t, Run>> jobs_;
  std::vector<JobId> lru_;
};

void ExpectSame(const LogSlice& got, const LogSlice& want) {
  EXPECT_EQ(got.run, want.run);
  EXPECT_EQ(got.node, want.node);
  EXPECT_EQ(got.runs, want.runs);
  EXPECT_EQ(got.start, want.start);
  EXPECT_EQ(got.end, want.end);
  EXPECT_EQ(got.text, want.text);
  EXPECT_EQ(got.more, want.more);
}

TEST(LogStore, BehavesLikeAByteByByteModel) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    std::mt19937_64 rng(seed);
    auto pick = [&](std::uint64_t lo, std::uint64_t hi) {
      return std::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
    };
    LogLimits limits;
    limits.run_bytes = 40;
    limits.runs_per_job = 3;
    limits.total_bytes = 250;
    limits.chunks_per_run = 1'000'000;  // the model does not count chunks
    LogStore store(limits);
    Model model(limits);
    for (int op = 0; op < 3000 && !::testing::Test::HasFailure(); ++op) {
      const JobId job = pick(1, 4);
      const std::uint64_t run = pick(1, 6);
      if (pick(0, 2) > 0) {
        const std::uint64_t end = model.End(job, run);
        const std::uint64_t offset = end > 15 ? end - 15 + pick(0, 30) : pick(0, 30);
        std::string text(pick(0, 25), ' ');
        for (char& c : text) c = static_cast<char>('a' + pick(0, 25));
        const std::string node = "node-" + std::to_string(pick(1, 3));
        store.Append(job, run, node, offset, text);
        model.Append(job, run, node, offset, text);
        ASSERT_EQ(store.total_bytes(), model.Total()) << "op " << op;
      } else {
        LogQuery q;
        if (pick(0, 1) == 1) q.run = run;
        if (pick(0, 1) == 1) q.after = pick(0, model.End(job, run) + 10);
        q.max_bytes = pick(1, 50);
        SCOPED_TRACE("op " + std::to_string(op));
        ExpectSame(store.Read(job, q), model.Read(job, q));
      }
    }
  }
}

}  // namespace
}  // namespace gpusched::server
