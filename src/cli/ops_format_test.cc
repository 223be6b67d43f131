#include "cli/ops_format.h"

#include <cstdlib>
#include <ctime>
#include <string>

#include <gtest/gtest.h>

namespace gpusched::cli {
namespace {

constexpr std::int64_t kNow = 1714565000;  // 2024-05-01T12:03:20Z

class OpsFormatTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC0", 1);
    tzset();
  }
};

TEST_F(OpsFormatTest, Freezes) {
  EXPECT_EQ(FreezesText(Json{{"freezes", Json::array()}}, kNow), "no freezes\n");
  const Json reply{
      {"freezes",
       Json::array({Json{{"scope", "cluster"}, {"target", ""}, {"expires_at", kNow + 3600}},
                    Json{{"scope", "tenant"}, {"target", "quality"}, {"expires_at", kNow + 60}}})}};
  EXPECT_EQ(FreezesText(reply, kNow),
            "SCOPE    TARGET   EXPIRES\n"
            "cluster  -        2024-05-01T13:03:20+00:00 (in 1h)\n"
            "tenant   quality  2024-05-01T12:04:20+00:00 (in 1m)\n");
  EXPECT_EQ(FreezeText(Json{{"freeze", reply["freezes"][1]}}, kNow),
            "frozen: tenant quality until 2024-05-01T12:04:20+00:00 (in 1m)\n");
  EXPECT_EQ(UnfreezeText(Json{{"removed", 1}}), "removed 1 freeze\n");
  EXPECT_EQ(UnfreezeText(Json{{"removed", 0}}), "removed 0 freezes\n");
}

TEST_F(OpsFormatTest, NodesWithGpuLines) {
  EXPECT_NE(NodesText(Json{{"nodes", Json::array()}}).find("no nodes"), std::string::npos);
  const Json gpu0{{"index", 0},
                  {"uuid", "GPU-a"},
                  {"type", "T4"},
                  {"memory_mib", 15360},
                  {"allocated_mib", 4096},
                  {"healthy", true},
                  {"jobs", Json::array({Json{{"id", 12}, {"class", "critical"}, {"mib", 4096}}})}};
  const Json gpu1{{"index", 1},         {"type", "T4"},     {"memory_mib", 15360},
                  {"allocated_mib", 0}, {"healthy", false}, {"jobs", Json::array()},
                  {"health_reason", "too hot: 97 C (limit 90 C)"},
                  {"temperature_c", 97}, {"utilization_pct", 0}};
  const Json reply{{"nodes", Json::array({Json{{"name", "node-a"},
                                               {"state", "ready"},
                                               {"labels", Json::array({"image:yolo"})},
                                               {"gpus", Json::array({gpu0, gpu1})}}})}};
  EXPECT_EQ(NodesText(reply),
            "NAME    STATE  GPUS  LABELS\n"
            "node-a  ready  2     image:yolo\n"
            "  gpu 0  T4  4096/15360 MiB  -       healthy                                 12(critical)\n"
            "  gpu 1  T4  0/15360 MiB     97C 0%  UNHEALTHY (too hot: 97 C (limit 90 C))  -\n");
  EXPECT_EQ(NodeChangeText("drained", Json{{"name", "node-a"}, {"state", "drained"}}),
            "node node-a drained: state drained\n");
}

TEST_F(OpsFormatTest, SlaRows) {
  const Json critical{
      {"class", "critical"},    {"target", {{"percentile", 95}, {"max_wait_s", 300}}},
      {"started", 4},           {"met", 3},
      {"attainment", 0.75},     {"wait_p50_s", 20},
      {"wait_p95_s", 400},      {"wait_max_s", 400},
      {"pending", 2},           {"pending_over_target", 1},
      {"oldest_pending_s", 360}};
  const Json batch{{"class", "batch"},      {"target", nullptr},
                   {"started", 0},          {"met", 0},
                   {"attainment", nullptr}, {"wait_p50_s", 0},
                   {"wait_p95_s", 0},       {"wait_max_s", 0},
                   {"pending", 0},          {"pending_over_target", 0},
                   {"oldest_pending_s", 0}};
  EXPECT_EQ(SlaText(Json{{"window_s", 3600}, {"classes", Json::array({critical, batch})}}),
            "SLA over the last 1h\n"
            "CLASS     TARGET   STARTED  MET  ATTAINMENT  P50  P95    PENDING     OLDEST\n"
            "critical  p95<=5m  4        3    75.0%       20s  6m40s  2 (1 late)  6m\n"
            "batch     -        0        0    -           -    -      0           -\n");
}

TEST_F(OpsFormatTest, Events) {
  EXPECT_EQ(EventsText(Json{{"events", Json::array()}, {"next_after", 0}}), "no events\n");
  const Json reply{{"events", Json::array({Json{{"seq", 1},
                                                {"time", kNow},
                                                {"job", 12},
                                                {"kind", "submitted"},
                                                {"text", "by quality"}},
                                           Json{{"seq", 2},
                                                {"time", kNow},
                                                {"job", nullptr},
                                                {"kind", "freeze"},
                                                {"text", "cluster"}}})}};
  EXPECT_EQ(EventsText(reply),
            "SEQ  TIME                       JOB  KIND       TEXT\n"
            "1    2024-05-01T12:03:20+00:00  12   submitted  by quality\n"
            "2    2024-05-01T12:03:20+00:00  -    freeze     cluster\n");
}

}  // namespace
}  // namespace gpusched::cli
