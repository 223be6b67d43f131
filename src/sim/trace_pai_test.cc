// The Alibaba PAI 2023 pod reader, as a specification, on the real
// openb_pod_list_default.csv and openb_pod_list_gpuspec33.csv (8,152 pods
// each) and on small inline texts for the errors.
#include <algorithm>
#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/presets.h"
#include "sim/real_traces_testing.h"
#include "sim/trace_readers.h"

namespace gpusched::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using testing::ReadTrace;

TraceRead ReadPods(std::string_view file) {
  Result<TraceRead> read = ParsePaiPods(ReadTrace(file), {});
  EXPECT_TRUE(read.has_value()) << read.error().message;
  return read ? std::move(*read) : TraceRead{};
}

const TraceJob& JobById(const TraceRead& read, std::string_view id) {
  const auto it = std::find_if(read.jobs.begin(), read.jobs.end(),
                               [&](const TraceJob& j) { return j.id == id; });
  GPUSCHED_CHECK(it != read.jobs.end(), std::string(id) + " not read");
  return *it;
}

constexpr std::string_view kDefault = "alibaba-pai-2023/openb_pod_list_default.csv";
constexpr std::string_view kGpuSpec33 = "alibaba-pai-2023/openb_pod_list_gpuspec33.csv";

// The expected counts below were computed with awk over the files, columns
// $4 num_gpu, $5 gpu_milli, $6 gpu_spec, $7 qos, $11 scheduled_time:
//   CPU-only:          NR>1 && $4==0                        -> 1088
//   never scheduled:   NR>1 && $4>0 && $11==""              ->  861
//   kept:              NR>1 && $4>0 && $11!=""              -> 6203 (= 8152 - 1088 - 861)
//   fractional:        kept && $5<1000 (all with $4==1)     -> 2573; whole: 3630
//   with a gpu_spec:   kept && $6!="" (gpuspec33 only)      -> 2092
TEST(PaiPods, TheDefaultFileKeepsScheduledGpuPodsAndSaysWhyOthersWereDropped) {
  const TraceRead read = ReadPods(kDefault);
  EXPECT_EQ(read.stats.rows, 8152);
  EXPECT_EQ(read.stats.kept, 6203);
  EXPECT_THAT(read.stats.dropped, ElementsAre(Pair("cpu-only (num_gpu 0)", 1088),
                                              Pair("never scheduled (empty scheduled_time)", 861)));
  std::map<int, int> by_gpus;
  for (const TraceJob& j : read.jobs) ++by_gpus[j.gpus];
  EXPECT_THAT(by_gpus, ElementsAre(Pair(1, 6129), Pair(2, 15), Pair(4, 15), Pair(8, 44)));
}

TEST(PaiPods, FractionalPodsGetAShareOfOneCardAndWholePodsAreExclusive) {
  const TraceRead read = ReadPods(kDefault);
  int fractional = 0, whole = 0;
  for (const TraceJob& j : read.jobs) {
    EXPECT_FALSE(j.memory_mib.has_value());
    if (j.exclusive) {
      ++whole;
      EXPECT_EQ(j.memory_permille, 0);
    } else {
      ++fractional;
      EXPECT_EQ(j.gpus, 1);
      EXPECT_GT(j.memory_permille, 0);
      EXPECT_LT(j.memory_permille, 1000);
    }
  }
  EXPECT_EQ(fractional, 2573);
  EXPECT_EQ(whole, 3630);
  // openb-pod-0001,6000,12288,1,460,,LS,Running,427061,12902960,427061
  const TraceJob& pod1 = JobById(read, "openb-pod-0001");
  EXPECT_EQ(pod1.memory_permille, 460);
  EXPECT_FALSE(pod1.exclusive);
  EXPECT_EQ(pod1.submit_s, 427061);
  EXPECT_EQ(pod1.epochs, 6932) << "ceil((12902960 - 427061) / 1800) = ceil(6931.05)";
  EXPECT_DOUBLE_EQ(pod1.epoch_s, 12'475'899.0 / 6932);
}

TEST(PaiPods, QosMapsToClassesByKubernetesSemantics) {
  const TraceRead read = ReadPods(kDefault);
  std::map<std::string, int> by_class;
  for (const TraceJob& j : read.jobs) ++by_class[j.class_name];
  // Kept pods by qos (awk, kept && $7==...): LS 3590, BE 2510, Burstable 97, Guaranteed 6.
  EXPECT_THAT(by_class, ElementsAre(Pair("batch", 2510), Pair("critical", 6), Pair("high", 3590),
                                    Pair("medium", 97)));
  EXPECT_EQ(JobById(read, "openb-pod-0129").class_name, "critical");  // Guaranteed
  EXPECT_EQ(JobById(read, "openb-pod-0017").class_name, "medium");    // Burstable, 8 GPUs
  EXPECT_EQ(JobById(read, "openb-pod-0000").class_name, "high");      // LS
}

TEST(PaiPods, PodsAreSortedByCreationTimeAndReplayTheirRecordedLifetime) {
  const TraceRead read = ReadPods(kDefault);
  for (std::size_t i = 1; i < read.jobs.size(); ++i) {
    ASSERT_LE(read.jobs[i - 1].submit_s, read.jobs[i].submit_s) << "at " << i;
  }
  EXPECT_EQ(read.jobs.front().submit_s, 0);
  for (const TraceJob& j : read.jobs) {
    ASSERT_EQ(j.tenant, "pai");
    ASSERT_FALSE(j.speed_scaled);
    ASSERT_TRUE(j.gpu_types.empty()) << "the default file has no gpu_spec";
  }
  // openb-pod-0017: 8 GPUs, scheduled 9437497, deleted 10769854.
  const TraceJob& pod17 = JobById(read, "openb-pod-0017");
  EXPECT_EQ(pod17.gpus, 8);
  EXPECT_TRUE(pod17.exclusive);
  EXPECT_DOUBLE_EQ(pod17.epoch_s * pod17.epochs, 10'769'854.0 - 9'437'497.0);
}

TEST(PaiPods, Gpuspec33GivesGpuTypesByTheirCatalogNames) {
  const TraceRead read = ReadPods(kGpuSpec33);
  EXPECT_EQ(read.stats.kept, 6203);
  int constrained = 0;
  const GpuCatalog catalog = PaiCatalog();
  for (const TraceJob& j : read.jobs) {
    if (j.gpu_types.empty()) continue;
    ++constrained;
    for (const std::string& type : j.gpu_types) {
      ASSERT_TRUE(catalog.Find(type).has_value()) << j.id << ": " << type;
    }
  }
  EXPECT_EQ(constrained, 2092);
  // openb-pod-0598: gpu_spec "V100M16|V100M32|V100M32" (a repeat in the file).
  EXPECT_THAT(JobById(read, "openb-pod-0598").gpu_types, ElementsAre("V100-16", "V100-32"));
}

TEST(PaiGpuTypeName, MapsEveryPaiModelToACatalogName) {
  EXPECT_EQ(PaiGpuTypeName("V100M16"), "V100-16");
  EXPECT_EQ(PaiGpuTypeName("V100M32"), "V100-32");
  EXPECT_EQ(PaiGpuTypeName("P100"), "P100");
  EXPECT_EQ(PaiGpuTypeName("T4"), "T4");
  EXPECT_EQ(PaiGpuTypeName("A10"), "A10");
  EXPECT_EQ(PaiGpuTypeName("G2"), "PAI-G2");
  EXPECT_EQ(PaiGpuTypeName("G3"), "PAI-G3");
  EXPECT_EQ(PaiGpuTypeName("V100"), std::nullopt);
}

// --- errors, on small inline texts ---------------------------------------------

constexpr const char* kHeader =
    "name,cpu_milli,memory_mib,num_gpu,gpu_milli,gpu_spec,qos,pod_phase,creation_time,"
    "deletion_time,scheduled_time\n";

std::string ErrorOf(const std::string& rows) {
  const Result<TraceRead> read = ParsePaiPods(kHeader + rows, {});
  return read ? std::string("parsed") : read.error().message;
}

TEST(PaiPods, ErrorsNameTheLineTheColumnAndTheFieldAsWritten) {
  EXPECT_EQ(ErrorOf("p,1,1,1,1000,,Gold,Running,0,10,0\n"),
            "line 2: \"qos\": must be one of Guaranteed, LS, Burstable, BE, got \"Gold\"");
  EXPECT_EQ(ErrorOf("p,1,1,2,500,,LS,Running,0,10,0\n"),
            "line 2: \"gpu_milli\": must be 1000 for a pod with num_gpu > 1, got \"500\"");
  EXPECT_EQ(ErrorOf("p,1,1,1,1001,,LS,Running,0,10,0\n"),
            "line 2: \"gpu_milli\": must be an integer in 0..1000, got \"1001\"");
  EXPECT_EQ(ErrorOf("p,1,1,1,1000,V100|T4,LS,Running,0,10,0\n"),
            "line 2: \"gpu_spec\": must be GPU models V100M16, V100M32, P100, T4, A10, G2, G3 "
            "joined by |, got \"V100|T4\"");
  EXPECT_EQ(ErrorOf("p,1,1,1,1000,,LS,Running,0,x,0\n"),
            "line 2: \"deletion_time\": must be an integer of seconds >= 0, got \"x\"");
  EXPECT_EQ(ErrorOf("p,1,1,1,1000,,LS,Running,0,10,0\np,1,1,1,1000,,LS,Running,0,10,0\n"),
            "line 3: \"name\": must be unique, got \"p\"");
}

TEST(PaiPods, ALifetimeOfZeroOrLessReplaysAsOneSecond) {
  const Result<TraceRead> read = ParsePaiPods(std::string(kHeader) +
                                                  "p,1,1,1,1000,T4,BE,Failed,5,7,7\n"
                                                  "q,1,1,1,250,,BE,Failed,5,6,9\n",
                                              {});
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_EQ(read->jobs.size(), 2u);
  for (const TraceJob& j : read->jobs) {
    EXPECT_EQ(j.epochs, 1);
    EXPECT_DOUBLE_EQ(j.epoch_s, 1);
  }
  EXPECT_THAT(read->jobs[0].gpu_types, ElementsAre("T4"));
  EXPECT_EQ(read->jobs[1].memory_permille, 250);
}

}  // namespace
}  // namespace gpusched::sim
