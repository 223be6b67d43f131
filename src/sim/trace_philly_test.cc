// The Philly reader, as a specification, on the real philly-pollux/philly.csv
// (82,247 jobs) and on small inline texts for the errors.
#include <algorithm>
#include <map>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/real_traces_testing.h"
#include "sim/trace_readers.h"

namespace gpusched::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::Pair;
using testing::ReadTrace;

// The real file is read and parsed once for the whole suite.
class PhillyTrace : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { text_ = new std::string(ReadTrace("philly-pollux/philly.csv")); }
  static void TearDownTestSuite() {
    delete text_;
    text_ = nullptr;
  }
  static TraceRead Read(const PhillyOptions& options = {}) {
    Result<TraceRead> read = ParsePhillyCsv(*text_, options);
    EXPECT_TRUE(read.has_value()) << read.error().message;
    return read ? std::move(*read) : TraceRead{};
  }
  static PhillyOptions HeliosOptions() {
    PhillyOptions options;
    options.window = HeliosPhillyWindow();
    options.vcs = {"6214e9", "7f04ca", "11cb48", "b436b2", "ee9e8c", "e13805",
                   "6c71a0", "2869ce", "ed69ec", "103959", "0e4a51"};
    return options;
  }
  static std::string* text_;
};
std::string* PhillyTrace::text_ = nullptr;

TEST_F(PhillyTrace, TheFullFileHas82247JobsWithTheReadmesGpuCounts) {
  const TraceRead read = Read();
  EXPECT_EQ(read.stats.rows, 82'247) << "the trailing blank line is not a row";
  EXPECT_EQ(read.stats.kept, 82'247);
  EXPECT_TRUE(read.stats.dropped.empty());
  std::map<int, int> by_gpus;
  for (const TraceJob& j : read.jobs) ++by_gpus[j.gpus];
  EXPECT_THAT(by_gpus, ElementsAre(Pair(1, 76'627), Pair(2, 1'818), Pair(4, 1'870), Pair(8, 1'643),
                                   Pair(12, 7), Pair(16, 199), Pair(24, 7), Pair(32, 67),
                                   Pair(64, 6), Pair(128, 3)));
}

TEST_F(PhillyTrace, JobsAreSortedBySubmitTimeFromTheEarliestSubmission) {
  const TraceRead read = Read();
  ASSERT_FALSE(read.jobs.empty());
  // 2017-09-04 10:30:41, data row 31566: 8 GPUs for 2,240,194 s in VC 7f04ca.
  const TraceJob& first = read.jobs.front();
  EXPECT_EQ(first.submit_s, 0);
  EXPECT_EQ(first.id, "philly-31566");
  EXPECT_EQ(first.gpus, 8);
  EXPECT_EQ(first.tenant, "7f04ca");
  EXPECT_EQ(first.epochs, 1245) << "ceil(2240194 / 1800)";
  EXPECT_DOUBLE_EQ(first.epoch_s, 2'240'194.0 / 1245);
  // 2017-12-22 08:02:11 is 9,408,690 s after the first submission.
  EXPECT_EQ(read.jobs.back().submit_s, 9'408'690);
  for (std::size_t i = 1; i < read.jobs.size(); ++i) {
    ASSERT_LE(read.jobs[i - 1].submit_s, read.jobs[i].submit_s) << "at " << i;
  }
}

TEST_F(PhillyTrace, EveryTenantIsAVcIdWithTheReadmesJobCounts) {
  const TraceRead read = Read();
  std::map<std::string, int> by_vc;
  for (const TraceJob& j : read.jobs) ++by_vc[j.tenant];
  const std::map<std::string, int> readme = {
      {"6214e9", 41'226}, {"11cb48", 16'091}, {"6c71a0", 9'953}, {"b436b2", 7'423},
      {"103959", 1'934},  {"ee9e8c", 1'511},  {"0e4a51", 1'435}, {"ed69ec", 1'137},
      {"7f04ca", 723},    {"2869ce", 422},    {"e13805", 374},   {"23dbec", 8},
      {"51b7ef", 4},      {"925e2b", 3},      {"795a4c", 3}};
  EXPECT_EQ(by_vc, readme);
}

TEST_F(PhillyTrace, JobsAreWholeGpuRecordedRunsWithCheckpointsEveryInterval) {
  const TraceRead read = Read();
  std::set<std::string> ids;
  for (const TraceJob& j : read.jobs) {
    ids.insert(j.id);
    ASSERT_TRUE(j.exclusive) << j.id;
    ASSERT_FALSE(j.memory_mib.has_value()) << j.id;
    ASSERT_FALSE(j.speed_scaled) << j.id;
    ASSERT_EQ(j.save_period, 1) << j.id;
    ASSERT_GE(j.epochs, 1) << j.id;
    ASSERT_LE(j.epoch_s, 1800) << j.id;
    ASSERT_GE(j.epoch_s * j.epochs, 1 - 1e-6) << j.id;
  }
  EXPECT_EQ(ids.size(), read.jobs.size()) << "ids are unique";
  // Data row 0: "2017-10-09 07:01:55,66.0,1,66.0,11cb48".
  const auto row0 = std::find_if(read.jobs.begin(), read.jobs.end(),
                                 [](const TraceJob& j) { return j.id == "philly-0"; });
  ASSERT_NE(row0, read.jobs.end());
  EXPECT_EQ(row0->submit_s, 3'011'474);
  EXPECT_EQ(row0->tenant, "11cb48");
  EXPECT_EQ(row0->epochs, 1);
  EXPECT_DOUBLE_EQ(row0->epoch_s, 66);
}

TEST_F(PhillyTrace, TheHeliosWindowKeepsOctoberAndNovemberJobsOfThe11Vcs) {
  const TraceRead read = Read(HeliosOptions());
  // Computed with awk over philly.csv: timestamps compared as text against
  // "2017-10-01 00:00:00" and "2017-11-30 23:59:59", cluster among the 11
  // VCs of philly_vc.csv.
  EXPECT_EQ(read.stats.rows, 82'247);
  EXPECT_EQ(read.stats.kept, 68'503);
  EXPECT_THAT(read.stats.dropped,
              ElementsAre(Pair("outside the time window", 13'737), Pair("VC not selected", 7)));
  std::map<std::string, int> by_vc;
  for (const TraceJob& j : read.jobs) {
    ++by_vc[j.tenant];
    EXPECT_GE(j.submit_s, 0);
    EXPECT_LE(j.submit_s, 61 * 86400 - 1);
  }
  const std::map<std::string, int> expected = {
      {"6214e9", 33'950}, {"11cb48", 11'897}, {"6c71a0", 9'383}, {"b436b2", 7'222},
      {"103959", 1'450},  {"0e4a51", 1'269},  {"ed69ec", 1'096}, {"ee9e8c", 1'053},
      {"7f04ca", 604},    {"2869ce", 315},    {"e13805", 264}};
  EXPECT_EQ(by_vc, expected);
  // The first job kept, 2017-10-01 00:00:45, counts from the window's start.
  EXPECT_EQ(read.jobs.front().submit_s, 45);
}

TEST_F(PhillyTrace, TheClassMixOnTheRealFileIsWithinOnePointOfTheShares) {
  const TraceRead read = Read();
  std::map<std::string, double> share;
  for (const TraceJob& j : read.jobs)
    share[j.class_name] += 1.0 / static_cast<double>(read.jobs.size());
  for (const ClassShare& s : ClassMix{}.shares) {
    EXPECT_NEAR(share[s.class_name], s.share, 0.01) << s.class_name;
  }
  EXPECT_EQ(share.size(), 5u);
}

// Class of every job, by id.
std::map<std::string, std::string> ClassesById(const TraceRead& read) {
  std::map<std::string, std::string> classes;
  for (const TraceJob& j : read.jobs) classes[j.id] = j.class_name;
  return classes;
}

TEST_F(PhillyTrace, TheSameSeedGivesTheSameClassesAndAnotherSeedOthers) {
  PhillyOptions seed1;
  seed1.seed = 1;
  PhillyOptions seed2;
  seed2.seed = 2;
  const std::map<std::string, std::string> a = ClassesById(Read(seed1));
  EXPECT_EQ(a, ClassesById(Read(seed1)));
  const std::map<std::string, std::string> b = ClassesById(Read(seed2));
  ASSERT_EQ(a.size(), b.size());
  int differ = 0;
  for (const auto& [id, cls] : a) differ += b.at(id) != cls;
  EXPECT_GT(differ, 82'247 / 2) << "independent draws differ about 70% of the time";
}

TEST_F(PhillyTrace, AJobKeepsItsIdAndClassWhenFiltersDropOthers) {
  const std::map<std::string, std::string> all = ClassesById(Read());
  const std::map<std::string, std::string> window = ClassesById(Read(HeliosOptions()));
  for (const auto& [id, cls] : window) ASSERT_EQ(all.at(id), cls) << id;
}

// --- errors, on small inline texts ---------------------------------------------

constexpr const char* kHeader = "timestamp,duration,num_gpus,gpu_time,cluster\n";

std::string ErrorOf(const std::string& text, const PhillyOptions& options = {}) {
  const Result<TraceRead> read = ParsePhillyCsv(text, options);
  return read ? std::string("parsed") : read.error().message;
}

TEST(PhillyCsv, ErrorsNameTheLineTheColumnAndTheFieldAsWritten) {
  const std::string h = kHeader;
  EXPECT_EQ(ErrorOf(h + "2017-10-01 00:00:00,60.0,1,60.0,vc\n2017-10-01 00:00:00,60.0,x,60.0,vc\n"),
            "line 3: \"num_gpus\": must be an integer >= 1, got \"x\"");
  EXPECT_EQ(ErrorOf(h + "2017-10-01 00:00:00,60.0,0,0,vc\n"),
            "line 2: \"num_gpus\": must be an integer >= 1, got \"0\"");
  EXPECT_EQ(ErrorOf(h + "2017-10-01 00:00:00,abc,1,60.0,vc\n"),
            "line 2: \"duration\": must be a number > 0, got \"abc\"");
  EXPECT_EQ(ErrorOf(h + "2017-10-01 00:00:00,1e12,1,60.0,vc\n"),
            "line 2: \"duration\": must be at most 315360000 (10 years), got \"1e12\"");
  EXPECT_EQ(
      ErrorOf(h + "2017-10-32 00:00:00,60.0,1,60.0,vc\n"),
      "line 2: \"timestamp\": must be a time YYYY-MM-DD HH:MM:SS, got \"2017-10-32 00:00:00\"");
  EXPECT_EQ(ErrorOf(h + "2017-10-01 00:00:00,60.0,1,60.0,\n"),
            "line 2: \"cluster\": must be non-empty, got \"\"");
  EXPECT_EQ(ErrorOf("timestamp,duration,num_gpus,cluster\n"),
            "line 1: header must be \"timestamp,duration,num_gpus,gpu_time,cluster\", "
            "got \"timestamp,duration,num_gpus,cluster\"");
}

TEST(PhillyCsv, InvalidOptionsAreRejectedBeforeReading) {
  PhillyOptions backwards;
  backwards.window = TimeWindow{10, 5};
  EXPECT_EQ(ErrorOf(kHeader, backwards), "window: start is after end");
  PhillyOptions no_classes;
  no_classes.class_mix.shares.clear();
  EXPECT_EQ(ErrorOf(kHeader, no_classes), "class mix: empty");
}

TEST(PhillyCsv, FractionalDurationsRoundUpAndTheWindowIsInclusive) {
  PhillyOptions options;
  options.window =
      TimeWindow{*ParseCivilTime("2017-10-01 00:00:00"), *ParseCivilTime("2017-10-01 00:00:10")};
  const Result<TraceRead> read = ParsePhillyCsv(std::string(kHeader) +
                                                    "2017-10-01 00:00:10,0.5,1,0.5,a\n"
                                                    "2017-10-01 00:00:11,5,1,5,a\n"
                                                    "2017-10-01 00:00:00,3600.2,2,7200.4,b\n",
                                                options);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_EQ(read->jobs.size(), 2u);
  EXPECT_EQ(read->jobs[0].id, "philly-2");
  EXPECT_EQ(read->jobs[0].submit_s, 0);
  EXPECT_EQ(read->jobs[0].epochs, 3) << "3601 s in 1800 s intervals";
  EXPECT_EQ(read->jobs[1].id, "philly-0");
  EXPECT_EQ(read->jobs[1].submit_s, 10);
  EXPECT_DOUBLE_EQ(read->jobs[1].epoch_s, 1) << "0.5 s rounds up to 1 s";
  EXPECT_THAT(read->stats.dropped, ElementsAre(Pair("outside the time window", 1)));
}

}  // namespace
}  // namespace gpusched::sim
