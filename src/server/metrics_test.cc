// The server's Prometheus metrics, read back from the text exposition a
// scrape gets: a Control driven by hand with an injected clock, each cycle
// reported to ServerMetrics as the server's loop will.
// GCC 12 warns, falsely, inside <regex> when optimizing with sanitizers.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include "server/metrics.h"

#include <algorithm>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "server/control.h"
#include "server/control_testing.h"
#include "server/sla.h"

namespace gpusched::server {
namespace {

using std::chrono::milliseconds;

using testing::Catalog;
using testing::Defaults;
using testing::Node;
using testing::Request;

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The value of `series` (a name with its labels, as rendered) or nullopt.
std::optional<std::string> Value(const std::string& text, const std::string& series) {
  for (const std::string& line : Lines(text)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return line.substr(series.size() + 1);
    }
  }
  return std::nullopt;
}

::testing::AssertionResult HasLine(const std::string& text, const std::string& line) {
  const std::vector<std::string> lines = Lines(text);
  if (std::find(lines.begin(), lines.end(), line) != lines.end()) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "no line \"" << line << "\" in:\n" << text;
}

ClassSla Sla(std::string cls, std::optional<SlaTarget> target, std::optional<double> attainment) {
  ClassSla s;
  s.class_name = std::move(cls);
  s.target = target;
  s.attainment = attainment;
  return s;
}

struct MetricsTest : ::testing::Test {
  Control control{&Catalog(), Defaults()};
  ServerMetrics metrics;
  Instant now{std::chrono::seconds(1'000'000)};
  std::map<std::string, std::uint64_t> generation;

  void Advance(int s) { now += Duration(s); }
  // One loop turn: a cycle, then its metrics (the cycle "took" 2 ms).
  void Cycle() {
    ChangeSet cs;
    const CycleResult result = control.Tick(now, cs);
    metrics.AfterCycle(control, result, milliseconds(2), now);
  }
  JobId Submit(JobRequest r) {
    ChangeSet cs;
    auto id = control.Submit(std::move(r), now, cs);
    EXPECT_TRUE(id.has_value()) << id.error().message;
    return id ? *id : 0;
  }
  void Register(const std::string& node, int t4s) {
    ChangeSet cs;
    auto g = control.Register(Node(node, t4s), now, cs);
    ASSERT_TRUE(g.has_value()) << g.error().message;
    generation[node] = *g;
  }
  void Beat(const std::string& node) {
    ChangeSet cs;
    ASSERT_TRUE(control.Heartbeat(node, generation[node], {}, now, cs).has_value());
  }
  void Send(const std::string& node, JobId job, Report::Kind kind, int epoch = 0, int code = 0) {
    const JobRecord* r = control.Find(job);
    ASSERT_NE(r, nullptr);
    ASSERT_TRUE(r->assignment.has_value());
    ChangeSet cs;
    server::Report rep;
    rep.assignment = r->assignment->id;
    rep.kind = kind;
    rep.epoch = epoch;
    rep.exit_code = code;
    ASSERT_TRUE(control.ApplyReports(node, generation[node], {rep}, now, cs).has_value());
  }
  JobState State(JobId id) { return control.Find(id)->state; }
  std::string Text() const { return metrics.Render(); }
};

TEST_F(MetricsTest, QueueLengthCountsPendingJobsPerClassAndJobsCountEveryState) {
  Register("n1", 1);
  Submit(Request("quality", "high", 12000));
  Submit(Request("research", "medium", 12000));
  Submit(Request("research", "medium", 12000));
  Cycle();
  const std::string text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_queue_length{class="medium"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_queue_length{class="high"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_jobs{state="pending"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_jobs{state="running"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_jobs{state="stopping"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_jobs{state="succeeded"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_jobs{state="failed"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_jobs{state="cancelled"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_binds_total{class="high"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_binds_total{class="medium"} 0)"));
}

TEST_F(MetricsTest, AQueueThatEmptiesReadsZeroInsteadOfItsOldLength) {
  Register("n1", 1);
  const JobId first = Submit(Request("research", "medium", 12000));
  Submit(Request("research", "medium", 12000));
  Cycle();
  EXPECT_TRUE(HasLine(Text(), R"(gpusched_queue_length{class="medium"} 1)"));
  Send("n1", first, Report::Kind::kExited, 10, 0);
  Cycle();
  EXPECT_TRUE(HasLine(Text(), R"(gpusched_queue_length{class="medium"} 0)"));
  EXPECT_TRUE(HasLine(Text(), R"(gpusched_jobs{state="succeeded"} 1)"));
}

TEST_F(MetricsTest, AFirstStartWaitIsObservedOnceNotOnLaterCyclesNorAfterARequeue) {
  Register("n1", 1);
  const JobId id = Submit(Request("quality", "high", 8000));
  Advance(90);
  Beat("n1");
  Cycle();
  ASSERT_EQ(State(id), JobState::kRunning);
  Advance(10);
  Beat("n1");
  Cycle();
  std::string text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_count{class="high"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_sum{class="high"} 90)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_bucket{class="high",le="60"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_bucket{class="high",le="120"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_bucket{class="high",le="+Inf"} 1)"));

  Advance(31);  // the lease lapses: the job is requeued
  Cycle();
  ASSERT_EQ(State(id), JobState::kPending);
  Register("n1", 1);
  Cycle();
  ASSERT_EQ(State(id), JobState::kRunning);
  text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_count{class="high"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_sum{class="high"} 90)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_binds_total{class="high"} 2)"));
}

TEST_F(MetricsTest, ARestartInTheSameSecondAsTheFirstStartIsNotASecondFirstStart) {
  Register("n1", 1);
  JobRequest r = Request("quality", "high", 8000);
  r.max_retries = 1;
  const JobId id = Submit(r);
  Cycle();
  Send("n1", id, Report::Kind::kExited, 0, 1);  // fails at once, retried
  ASSERT_EQ(State(id), JobState::kPending);
  Cycle();  // the same second
  ASSERT_EQ(State(id), JobState::kRunning);
  const std::string text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_count{class="high"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_sum{class="high"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_binds_total{class="high"} 2)"));
}

TEST_F(MetricsTest, PreemptionsAreCountedOnceByTheVictimsClass) {
  Register("n1", 1);
  const JobId low = Submit(Request("research", "low", 12000));
  Cycle();
  Send("n1", low, Report::Kind::kCheckpoint, 4);
  Advance(3600);
  Beat("n1");
  const JobId urgent = Submit(Request("quality", "critical", 12000));
  Cycle();
  ASSERT_EQ(State(low), JobState::kStopping);
  std::string text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_preemptions_total{class="low"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_preemptions_total{class="critical"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_jobs{state="stopping"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus_allocated{class="low"} 1)")) << "still held";

  Advance(10);
  Send("n1", low, Report::Kind::kExited, 5, 143);
  Cycle();
  ASSERT_EQ(State(urgent), JobState::kRunning);
  text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_preemptions_total{class="low"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_count{class="critical"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_sum{class="critical"} 10)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_wait_seconds_count{class="low"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus_allocated{class="low"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus_allocated{class="critical"} 1)"));
}

TEST_F(MetricsTest, GpuAndNodeGaugesFollowTheLedgerAndTheLeases) {
  Register("n1", 2);
  Register("n2", 1);
  Submit(Request("quality", "high", 8000));
  Cycle();
  std::string text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus{state="total"} 3)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus{state="allocated"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus{state="healthy"} 3)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus{state="schedulable"} 3)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpu_memory_mib{state="total"} 46080)"));  // 3 x 15 GiB
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpu_memory_mib{state="allocated"} 8000)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus_allocated{class="high"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_nodes{state="ready"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_nodes{state="lost"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_nodes{state="drained"} 0)"));

  Advance(20);
  Beat("n1");
  Beat("n2");
  Advance(20);
  Beat("n1");  // n2 stays silent past its lease
  Advance(15);
  Cycle();
  text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_nodes{state="ready"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_nodes{state="lost"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus{state="total"} 3)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus{state="healthy"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_gpus{state="schedulable"} 2)"));
}

TEST_F(MetricsTest, CyclesAreCountedAndTheirDurationsFallInTheirBuckets) {
  Cycle();
  Cycle();
  const std::string text = Text();
  EXPECT_TRUE(HasLine(text, "gpusched_cycles_total 2"));
  EXPECT_TRUE(HasLine(text, "gpusched_cycle_seconds_count 2"));
  EXPECT_TRUE(HasLine(text, "gpusched_cycle_seconds_sum 0.004"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_cycle_seconds_bucket{le="0.001"} 0)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_cycle_seconds_bucket{le="0.0025"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_cycle_seconds_bucket{le="1"} 2)"));
  EXPECT_TRUE(HasLine(text, "gpusched_migrations_total 0"));
}

TEST_F(MetricsTest, MigrationsCountEveryMoveOfEveryDefragPlan) {
  CycleResult result;
  DefragPlan a;
  a.moves.resize(2);
  DefragPlan b;
  b.moves.resize(1);
  result.defrags = {a, b};
  metrics.AfterCycle(control, result, milliseconds(1), now);
  EXPECT_TRUE(HasLine(Text(), "gpusched_migrations_total 3"));
}

TEST_F(MetricsTest, SlaGaugesShowOnlyKnownFiguresAndVanishWhenTheyAreUnknownAgain) {
  const std::vector<ClassSla> known = {
      Sla("critical", SlaTarget{95, Duration(120)}, 0.75),
      Sla("batch", std::nullopt, std::nullopt),
  };
  metrics.SetSla(known);
  std::string text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_sla_attainment_ratio{class="critical"} 0.75)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_sla_target_seconds{class="critical"} 120)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_sla_target_ratio{class="critical"} 0.95)"));
  EXPECT_FALSE(Value(text, R"(gpusched_sla_attainment_ratio{class="batch"})"));
  EXPECT_FALSE(Value(text, R"(gpusched_sla_target_seconds{class="batch"})"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_queue_length{class="batch"} 0)"))
      << "a class SetSla names has its gauges before any job of it is seen";

  const std::vector<ClassSla> unknown = {Sla("critical", SlaTarget{95, Duration(120)}, {})};
  metrics.SetSla(unknown);
  text = Text();
  EXPECT_FALSE(Value(text, R"(gpusched_sla_attainment_ratio{class="critical"})"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_sla_target_seconds{class="critical"} 120)"));
}

TEST_F(MetricsTest, HttpRequestsAreCountedByRouteAndStatusCode) {
  metrics.CountRequest("jobs", 200);
  metrics.CountRequest("jobs", 200);
  metrics.CountRequest("jobs", 404);
  metrics.CountRequest("agents", 409);
  const std::string text = Text();
  EXPECT_TRUE(HasLine(text, R"(gpusched_http_requests_total{code="200",route="jobs"} 2)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_http_requests_total{code="404",route="jobs"} 1)"));
  EXPECT_TRUE(HasLine(text, R"(gpusched_http_requests_total{code="409",route="agents"} 1)"));
}

TEST_F(MetricsTest, RequestsAndScrapesMayRunOnOtherThreadsWhileTheOwnerRunsCycles) {
  Register("n1", 2);
  constexpr int kThreads = 4;
  constexpr int kRequests = 500;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([this, t] {
      for (int i = 0; i < kRequests; ++i) {
        metrics.CountRequest(t % 2 == 0 ? "jobs" : "agents", 200 + (i % 2));
        if (i % 50 == 0) {
          EXPECT_FALSE(metrics.Render().empty());
        }
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    if (i % 5 == 0) Submit(Request("research", i % 10 == 0 ? "low" : "batch", 4000));
    Advance(1);
    Beat("n1");
    Cycle();
  }
  for (std::thread& t : threads) t.join();
  const std::string text = Text();
  for (const char* route : {"jobs", "agents"}) {
    for (const char* code : {"200", "201"}) {
      const std::string series = std::string("gpusched_http_requests_total{code=\"") + code +
                                 "\",route=\"" + route + "\"}";
      EXPECT_EQ(Value(text, series), std::to_string(kThreads / 2 * kRequests / 2)) << series;
    }
  }
  EXPECT_TRUE(HasLine(text, "gpusched_cycles_total 50"));
}

TEST_F(MetricsTest, TheOutputIsPrometheusTextWithHelpAndTypeForEveryMetric) {
  Register("n1", 1);
  Submit(Request("quality", "high", 8000));
  Submit(Request("research", "medium", 12000));
  Advance(5);
  Cycle();
  const std::vector<ClassSla> sla = {Sla("high", SlaTarget{90, Duration(600)}, 1.0)};
  metrics.SetSla(sla);
  metrics.CountRequest("jobs", 201);
  const std::string text = Text();

  const std::regex sample(
      R"re(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")re"
      R"re((,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? )re"
      R"re(([-+]?(?:[0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?|Inf|NaN)))re");
  const std::regex help(R"(# HELP (gpusched_[a-z_]+) \S.*)");
  const std::regex type(R"(# TYPE (gpusched_[a-z_]+) (counter|gauge|histogram))");
  std::map<std::string, int> helped, typed;
  int samples = 0;
  for (const std::string& line : Lines(text)) {
    std::smatch m;
    if (std::regex_match(line, m, help)) {
      ++helped[m[1]];
    } else if (std::regex_match(line, m, type)) {
      ++typed[m[1]];
    } else {
      ASSERT_TRUE(std::regex_match(line, m, sample)) << "not a sample: \"" << line << "\"";
      EXPECT_EQ(m[1].str().rfind("gpusched_", 0), 0u) << line;
      ++samples;
    }
  }
  EXPECT_GT(samples, 50);
  EXPECT_EQ(helped, typed) << "one HELP and one TYPE line per metric";
  for (const char* name :
       {"gpusched_queue_length", "gpusched_jobs", "gpusched_wait_seconds",
        "gpusched_sla_attainment_ratio", "gpusched_sla_target_seconds", "gpusched_binds_total",
        "gpusched_preemptions_total", "gpusched_migrations_total", "gpusched_gpus",
        "gpusched_gpu_memory_mib", "gpusched_gpus_allocated", "gpusched_nodes",
        "gpusched_cycle_seconds", "gpusched_cycles_total", "gpusched_http_requests_total"}) {
    EXPECT_EQ(typed[name], 1) << name;
  }
}

}  // namespace
}  // namespace gpusched::server
