// Job logs over HTTP: agents send `log` reports, users read
// GET /v1/jobs/{id}/logs (whole, tail, after an offset), and who may read
// what; stale reports and bad parameters. Also the other in-memory record
// of reports: the progress trail in GET /v1/jobs/{id}.
#include "server/server_http_testing.h"

namespace gpusched::server {
namespace {

using nlohmann::json;

constexpr const char* kRetryingJob =
    "name: retrying\nclass: low\ncommand: [train]\nmemory_mib: 1000\nmax_retries: 1\n";

json LogItem(std::uint64_t run, std::uint64_t offset, const std::string& text) {
  return json{{"assignment", run}, {"kind", "log"}, {"offset", offset}, {"text", text}};
}

struct LogsTest : ServerTest {
  std::uint64_t gen = 0;
  std::int64_t job = 0;
  std::uint64_t run = 0;

  // node-a (one T4) registered and a job of tenant quality running on it.
  void StartRun(const char* yaml = kYamlJob) {
    gen = RegisterAgent("node-a", 1);
    auto r = Client(kQuality).Post("/v1/jobs", yaml, "application/yaml");
    ASSERT_TRUE(r && r->status == 201) << (r ? r->body : "no response");
    job = Body(r)["id"].get<std::int64_t>();
    run = WaitForRun("node-a", gen, 0);
    ASSERT_NE(run, 0u);
  }
  // The id of a run on `node` other than `not_this`, once the agent sees one.
  std::uint64_t WaitForRun(const std::string& node, std::uint64_t generation,
                           std::uint64_t not_this) {
    for (int i = 0; i < 200; ++i) {
      const json list = Get(kAgent, "/v1/agents/" + node +
                                        "/assignments?generation=" + std::to_string(generation))
                            .second["assignments"];
      for (const json& a : list) {
        if (a["id"] != not_this && a["stop"] == false) return a["id"].get<std::uint64_t>();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no run appeared on " << node;
    return 0;
  }
  // Posts `items` as node's reports; the status and body.
  std::pair<int, json> Report(const json& items, const std::string& node = "node-a",
                              std::uint64_t generation = 0) {
    return Post(kAgent, "/v1/agents/" + node + "/reports",
                json{{"generation", generation ? generation : gen}, {"reports", items}});
  }
  std::pair<int, json> Logs(const std::string& query = "", const char* token = kQuality,
                            std::int64_t id = 0) {
    return Get(token, "/v1/jobs/" + std::to_string(id ? id : job) + "/logs" +
                          (query.empty() ? "" : "?" + query));
  }
};

TEST_F(LogsTest, ARunsLogIsServedWholeAsATailAndFromAnOffset) {
  StartRun();
  auto [status, ack] =
      Report(json::array({LogItem(run, 0, "line 1\n"), LogItem(run, 7, "line 2\n")}));
  ASSERT_EQ(status, 200) << ack.dump();
  EXPECT_EQ(ack["accepted"], 2);

  auto [ok, whole] = Logs();
  ASSERT_EQ(ok, 200) << whole.dump();
  EXPECT_EQ(whole["job"], job);
  EXPECT_EQ(whole["run"], run);
  EXPECT_EQ(whole["node"], "node-a");
  EXPECT_EQ(whole["runs"], json::array({run}));
  EXPECT_EQ(whole["text"], "line 1\nline 2\n");
  EXPECT_EQ(whole["start"], 0);
  EXPECT_EQ(whole["end"], 14);
  EXPECT_EQ(whole["more"], false);
  EXPECT_EQ(whole["job_state"], "running");

  const json tail = Logs("tail_bytes=7").second;
  EXPECT_EQ(tail["text"], "line 2\n");
  EXPECT_EQ(tail["start"], 7);
  EXPECT_EQ(tail["end"], 14);

  const json page = Logs("after=3&tail_bytes=4&run=" + std::to_string(run)).second;
  EXPECT_EQ(page["text"], "e 1\n");
  EXPECT_EQ(page["start"], 3);
  EXPECT_EQ(page["end"], 7);
  EXPECT_EQ(page["more"], true);
  const json rest = Logs("after=7").second;
  EXPECT_EQ(rest["text"], "line 2\n");
  EXPECT_EQ(rest["more"], false);
  const json none = Logs("after=14").second;
  EXPECT_EQ(none["text"], "");
  EXPECT_EQ(none["start"], 14);
  EXPECT_EQ(none["end"], 14);
}

TEST_F(LogsTest, ResentBytesAreIgnoredAndAGapIsMarked) {
  StartRun();
  Report(
      json::array({LogItem(run, 0, "abcdef"), LogItem(run, 3, "defghi"), LogItem(run, 20, "xyz")}));
  EXPECT_EQ(Logs().second["text"], "abcdefghi\n[... 11 bytes not received ...]\nxyz");
  EXPECT_EQ(Logs().second["end"], 23);
}

TEST_F(LogsTest, AJobWithoutLogsAnswersEmptyWithNoRun) {
  job = SubmitYaml(kQuality);  // no agent: it stays pending
  auto [status, body] = Logs();
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_TRUE(body["run"].is_null());
  EXPECT_TRUE(body["node"].is_null());
  EXPECT_EQ(body["runs"], json::array());
  EXPECT_EQ(body["text"], "");
  EXPECT_EQ(body["more"], false);
  EXPECT_EQ(body["job_state"], "pending");
}

TEST_F(LogsTest, OnlyTheJobsTenantAndAdminsReadItsLogs) {
  StartRun();
  Report(json::array({LogItem(run, 0, "secret\n")}));
  EXPECT_EQ(Logs("", kQuality).first, 200);
  EXPECT_EQ(Logs("", kAdmin).second["text"], "secret\n");
  auto [status, body] = Logs("", kResearch);
  EXPECT_EQ(status, 404) << "another tenant's job does not exist for it";
  EXPECT_EQ(body["error"]["message"], "no job " + std::to_string(job));
  EXPECT_EQ(Logs("", kAgent).first, 403);
  EXPECT_EQ(Logs("", kAdmin, 9999).first, 404);
  EXPECT_EQ(Get(kAdmin, "/v1/jobs/1/logs").first, Logs("", kAdmin, 1).first);
}

TEST_F(LogsTest, LogsOfRunsThatAreNotCurrentOnThatNodeAreIgnored) {
  StartRun();
  const std::uint64_t gen_b = RegisterAgent("node-b", 1);
  auto [status, ack] = Report(json::array({LogItem(run + 100, 0, "unknown run\n")}));
  EXPECT_EQ(status, 200) << "acknowledged, like any stale report";
  EXPECT_EQ(ack["accepted"], 1);
  EXPECT_EQ(Report(json::array({LogItem(run, 0, "wrong node\n")}), "node-b", gen_b).first, 200);
  EXPECT_EQ(Report(json::array({LogItem(run, 0, "old agent\n")}), "node-a", gen + 5).first, 409);
  EXPECT_TRUE(Logs().second["run"].is_null());

  // The last output and the exit in one message: the output is kept.
  Report(json::array({LogItem(run, 0, "done\n"),
                      json{{"assignment", run}, {"kind", "exited"}, {"exit_code", 0}}}));
  WaitForJob(job, [](const json& v) { return v["state"] == "succeeded"; });
  Report(json::array({LogItem(run, 5, "after the exit\n")}));
  const json body = Logs().second;
  EXPECT_EQ(body["text"], "done\n");
  EXPECT_EQ(body["job_state"], "succeeded");
}

TEST_F(LogsTest, ARestartedJobListsItsRunsAndReadsTheNewestByDefault) {
  StartRun(kRetryingJob);
  const std::uint64_t first = run;
  Report(json::array({LogItem(first, 0, "first try\n"),
                      json{{"assignment", first}, {"kind", "exited"}, {"exit_code", 3}}}));
  const std::uint64_t second = WaitForRun("node-a", gen, first);
  ASSERT_NE(second, 0u);
  EXPECT_EQ(Logs().second["run"], first) << "the newest run with logs";
  Report(json::array({LogItem(second, 0, "second try\n")}));
  const json body = Logs().second;
  EXPECT_EQ(body["run"], second);
  EXPECT_EQ(body["runs"], json::array({first, second}));
  EXPECT_EQ(body["text"], "second try\n");
  EXPECT_EQ(Logs("run=" + std::to_string(first)).second["text"], "first try\n");
}

TEST_F(LogsTest, TextThatIsNotValidUtf8IsStillValidJson) {
  StartRun();
  Report(json::array({LogItem(run, 0, "h\xC3\xA9llo\n")}));  // é is bytes 1 and 2
  auto r = Client(kQuality).Get("/v1/jobs/" + std::to_string(job) + "/logs?after=2");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const json body = json::parse(r->body, nullptr, false);
  ASSERT_FALSE(body.is_discarded()) << "not JSON: " << r->body;
  EXPECT_EQ(body["text"], "\xEF\xBF\xBDllo\n") << "the cut byte is replaced by U+FFFD";
  EXPECT_EQ(body["start"], 2);
}

TEST_F(LogsTest, BadParametersAreRefusedNamingThem) {
  StartRun();
  const auto message = [&](const std::string& query) {
    auto [status, body] = Logs(query);
    EXPECT_EQ(status, 400) << query;
    return body["error"]["message"].get<std::string>();
  };
  EXPECT_EQ(message("tail_bytes=0").rfind("tail_bytes:", 0), 0u);
  EXPECT_EQ(message("tail_bytes=1048577").rfind("tail_bytes:", 0), 0u);
  EXPECT_EQ(message("tail_bytes=many").rfind("tail_bytes:", 0), 0u);
  EXPECT_EQ(message("after=-1").rfind("after:", 0), 0u);
  EXPECT_EQ(message("run=x").rfind("run:", 0), 0u);
  EXPECT_EQ(Logs("tail_bytes=1048576").first, 200);
  EXPECT_EQ(Get(kQuality, "/v1/jobs/abc/logs").first, 400);

  auto [status, body] =
      Report(json::array({json{{"assignment", run}, {"kind", "log"}, {"text", "x"}}}));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["message"], "offset: missing");
  std::tie(status, body) = Report(json::array({LogItem(run, 0, "x")}));
  EXPECT_EQ(status, 200);
  json negative = LogItem(run, 0, "x");
  negative["offset"] = -4;
  std::tie(status, body) = Report(json::array({negative}));
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["error"]["message"], "offset: must not be negative, got -4");
  std::tie(status, body) =
      Report(json::array({json{{"assignment", run}, {"kind", "log"}, {"offset", 0}}}));
  EXPECT_EQ(body["error"]["message"], "text: missing");
}

json Trail(std::int64_t time, int epoch, std::uint64_t run) {
  return json{{"time", time}, {"epoch", epoch}, {"run", run}};
}

json Progress(std::uint64_t run, const char* kind, int epoch = 0) {
  json item{{"assignment", run}, {"kind", kind}};
  if (epoch > 0) item["epoch"] = epoch;
  return item;
}

TEST_F(LogsTest, TheProgressTrailShowsTheRunsStartAndEpochsOverTime) {
  StartRun(kRetryingJob);
  const std::string path = "/v1/jobs/" + std::to_string(job);
  EXPECT_EQ(Get(kQuality, path).second["progress_trail"], json::array()) << "nothing reported";
  const std::int64_t t0 = clock.load();
  ASSERT_EQ(Report(json::array({Progress(run, "started")})).first, 200);
  clock += 5;  // within the node's lease (30 s)
  Report(json::array({Progress(run, "epoch", 1), Progress(run, "epoch", 2)}));
  clock += 5;
  Report(json::array({Progress(run, "epoch", 3), Progress(run, "epoch", 2)}));  // 2: resent
  const json want = json::array(
      {Trail(t0, 0, run), Trail(t0 + 5, 1, run), Trail(t0 + 5, 2, run), Trail(t0 + 10, 3, run)});
  auto [status, body] = Get(kQuality, path);
  ASSERT_EQ(status, 200) << body.dump();
  EXPECT_EQ(body["progress_trail"], want);
  EXPECT_EQ(Get(kAdmin, path).second["progress_trail"], want);

  auto [other, refused] = Get(kResearch, path);
  EXPECT_EQ(other, 404) << "another tenant's job does not exist for it";
  EXPECT_FALSE(refused.contains("progress_trail"));

  // Stale reports add nothing: those after the run's exit in the same
  // message, and another node's. The next run starts a new line.
  Report(json::array({json{{"assignment", run}, {"kind", "exited"}, {"exit_code", 3}},
                      Progress(run, "epoch", 5)}));
  EXPECT_EQ(Get(kQuality, path).second["progress_trail"], want);
  const std::uint64_t second = WaitForRun("node-a", gen, run);
  ASSERT_NE(second, 0u);
  const std::uint64_t gen_b = RegisterAgent("node-b", 1);
  Report(json::array({Progress(second, "epoch", 4)}), "node-b", gen_b);
  clock += 5;
  Report(json::array({Progress(second, "started"), Progress(second, "epoch", 1)}));
  json both = want;
  both.push_back(Trail(t0 + 15, 0, second));
  both.push_back(Trail(t0 + 15, 1, second));
  EXPECT_EQ(Get(kQuality, path).second["progress_trail"], both);
}

}  // namespace
}  // namespace gpusched::server
