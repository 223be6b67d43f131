#include "cli/job_format.h"

#include <cstdlib>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

namespace gpusched::cli {
namespace {

constexpr std::int64_t kNow = 1714565000;  // 2024-05-01T12:03:20Z

// Builds the server's job view (docs/openapi.yaml, schema Job).
class JobView {
 public:
  JobView() {
    j_ = Json{{"id", 12},
              {"name", "scratch-v3"},
              {"tenant", "quality"},
              {"class", "critical"},
              {"state", "pending"},
              {"gpus", 1},
              {"memory_per_gpu_mib", 4096},
              {"exclusive", false},
              {"submitted_at", kNow - 180},
              {"progress", {{"epochs_done", 0}, {"epochs_total", 50}, {"checkpoint_epoch", 0}}},
              {"placement", Json::array()},
              {"preemptions", 0},
              {"awaiting_approval", false}};
  }
  JobView& Set(const char* key, Json value) {
    j_[key] = std::move(value);
    return *this;
  }
  JobView& Wait(std::string code, std::string reason) {
    j_["wait"] = Json{{"code", code}, {"reason", reason}, {"position", 3}};
    return *this;
  }
  JobView& Running(Json placement) {
    j_["state"] = "running";
    j_["placement"] = std::move(placement);
    j_["started_at"] = kNow - 60;
    return *this;
  }
  Json Build() const { return j_; }

 private:
  Json j_;
};

class JobFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC0", 1);
    tzset();
  }
};

TEST_F(JobFormatTest, SubmittedLine) {
  EXPECT_EQ(SubmittedText(Json{
                {"id", 12}, {"state", "pending"}, {"class", "critical"}, {"tenant", "quality"}}),
            "job 12 submitted: pending, class critical, tenant quality\n");
}

TEST_F(JobFormatTest, WhereOrWhyByState) {
  EXPECT_EQ(WhereOrWhy(JobView().Build()), "queued");
  EXPECT_EQ(WhereOrWhy(JobView().Wait("NoCapacity", "no node has a free GPU").Build()),
            "no node has a free GPU");
  EXPECT_EQ(WhereOrWhy(JobView().Wait("NoCapacity", std::string(100, 'x')).Build()),
            std::string(57, 'x') + "...");
  EXPECT_EQ(WhereOrWhy(JobView().Set("awaiting_approval", true).Build()), "awaiting approval");
  EXPECT_EQ(WhereOrWhy(JobView()
                           .Running(Json::array({Json{{"node", "n1"}, {"gpu", 0}},
                                                 Json{{"node", "n1"}, {"gpu", 3}}}))
                           .Build()),
            "n1:0,n1:3");
  EXPECT_EQ(WhereOrWhy(JobView()
                           .Set("state", "failed")
                           .Set("end_reason", "trainer exited")
                           .Set("exit_code", 2)
                           .Build()),
            "trainer exited, exit code 2");
}

TEST_F(JobFormatTest, ProgressCell) {
  EXPECT_EQ(ProgressCell(JobView().Build()), "0/50");
  EXPECT_EQ(ProgressCell(JobView().Set("progress", Json{{"epochs_done", 0}}).Build()), "-");
}

TEST_F(JobFormatTest, JobsTableAndEmptyList) {
  EXPECT_EQ(JobsText(Json{{"jobs", Json::array()}}), "no jobs\n");
  const Json reply{{"jobs", Json::array({JobView().Wait("NoCapacity", "no nodes").Build()})}};
  EXPECT_EQ(JobsText(reply),
            "ID  NAME        TENANT   CLASS     STATE    GPUS  PROGRESS  WHERE/WHY\n"
            "12  scratch-v3  quality  critical  pending  1     0/50      no nodes\n");
  const Json boosted{
      {"jobs", Json::array({JobView()
                                .Set("class", "low")
                                .Set("boost", Json{{"class", "high"}, {"expires_at", kNow}})
                                .Build()})}};
  EXPECT_NE(JobsText(boosted).find("  low->high  "), std::string::npos) << JobsText(boosted);
}

TEST_F(JobFormatTest, DescribePendingJob) {
  Json job = JobView().Wait("NoCapacity", "no node has a free GPU").Build();
  job["wait"]["predicted_start_in_s"] = 240;
  job["boost"] = Json{{"class", "critical"}, {"expires_at", kNow + 3600}};
  job["class"] = "medium";
  job["history"] = Json::array({Json{{"time", kNow - 180},
                                     {"kind", "submitted"},
                                     {"text", "submitted by tenant quality as medium"}}});
  const std::string text = DescribeText(job, kNow);
  for (const char* line :
       {"Job:             12\n",
        "Class:           medium (boosted to critical until "
        "2024-05-01T13:03:20+00:00 (in 1h))\n",
        "State:           pending\n", "Memory per GPU:  4096 MiB\n",
        "Submitted:       2024-05-01T12:00:20+00:00 (3m ago)\n",
        "Waiting:         NoCapacity: no node has a free GPU\n", "Queue position:  3\n",
        "Predicted start: in 4m\n",
        "History:\n  2024-05-01T12:00:20+00:00  submitted  submitted by tenant quality as "
        "medium\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << "missing: " << line << "in:\n" << text;
  }
  EXPECT_EQ(text.find("Placement:"), std::string::npos) << text;
}

TEST_F(JobFormatTest, DescribeEndedJobHasNoWait) {
  const Json job = JobView()
                       .Set("state", "cancelled")
                       .Set("ended_at", kNow)
                       .Set("end_reason", "cancelled by admin admin")
                       .Build();
  const std::string text = DescribeText(job, kNow);
  EXPECT_NE(text.find("Ended:           2024-05-01T12:03:20+00:00 (now): cancelled by admin "
                      "admin\n"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("Waiting:"), std::string::npos) << text;
}

TEST_F(JobFormatTest, AWrongFieldTypeThrows) {
  EXPECT_THROW(JobsText(Json{{"jobs", Json::array({Json{{"id", "twelve"}}})}}), Json::type_error);
}

TEST_F(JobFormatTest, ChangeLines) {
  EXPECT_EQ(JobChangeText("cancelled", JobView().Set("state", "cancelled").Build()),
            "job 12 cancelled: state cancelled\n");
  const Json boosted =
      JobView().Set("boost", Json{{"class", "critical"}, {"expires_at", kNow + 7200}}).Build();
  EXPECT_EQ(BoostedText(boosted, kNow),
            "job 12 boosted to critical until 2024-05-01T14:03:20+00:00 (in 2h): state "
            "pending\n");
  EXPECT_EQ(BoostedText(JobView().Build(), kNow), "job 12 boosted: state pending\n");
}

}  // namespace
}  // namespace gpusched::cli
