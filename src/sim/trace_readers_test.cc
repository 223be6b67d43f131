// What every trace reader shares, as a specification: the seeded class draw,
// checkpoint synthesis, civil times, the CSV rules, reading files; and the
// Tiresias reader on its real 60-job trace.
#include "sim/trace_readers.h"

#include <map>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "sim/file_text.h"
#include "sim/real_traces_testing.h"

namespace gpusched::sim {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using testing::ReadTrace;

// --- the seeded class draw ---------------------------------------------------

// Share of each class among `n` draws.
std::map<std::string, double> DrawShares(const ClassMix& mix, std::uint64_t seed, int n) {
  std::map<std::string, double> shares;
  for (int i = 0; i < n; ++i)
    shares[PickClass(mix, seed, static_cast<std::uint64_t>(i))] += 1.0 / n;
  return shares;
}

TEST(ClassMix, DefaultSharesAreTheDefaultClassesFromCriticalToBatch) {
  const ClassMix mix;
  ASSERT_EQ(mix.shares.size(), 5u);
  EXPECT_EQ(mix.shares[0].class_name, "critical");
  EXPECT_DOUBLE_EQ(mix.shares[0].share, 0.02);
  EXPECT_EQ(mix.shares[1].class_name, "high");
  EXPECT_DOUBLE_EQ(mix.shares[1].share, 0.08);
  EXPECT_EQ(mix.shares[2].class_name, "medium");
  EXPECT_DOUBLE_EQ(mix.shares[2].share, 0.40);
  EXPECT_EQ(mix.shares[3].class_name, "low");
  EXPECT_DOUBLE_EQ(mix.shares[3].share, 0.30);
  EXPECT_EQ(mix.shares[4].class_name, "batch");
  EXPECT_DOUBLE_EQ(mix.shares[4].share, 0.20);
  EXPECT_TRUE(ValidateClassMix(mix).has_value());
}

TEST(ClassMix, DrawsFollowTheSharesWithinOnePercentagePoint) {
  const ClassMix mix;
  const std::map<std::string, double> shares = DrawShares(mix, 7, 100'000);
  for (const ClassShare& s : mix.shares) {
    EXPECT_NEAR(shares.at(s.class_name), s.share, 0.01) << s.class_name;
  }
}

TEST(ClassMix, TheSameSeedAndOrdinalAlwaysGiveTheSameClass) {
  const ClassMix mix;
  for (std::uint64_t i = 0; i < 1000; ++i) EXPECT_EQ(PickClass(mix, 42, i), PickClass(mix, 42, i));
}

TEST(ClassMix, AnotherSeedGivesOtherClasses) {
  const ClassMix mix;
  int differ = 0;
  for (std::uint64_t i = 0; i < 1000; ++i) differ += PickClass(mix, 1, i) != PickClass(mix, 2, i);
  // Two independent draws from the default mix differ with probability
  // 1 - (0.02^2 + 0.08^2 + 0.4^2 + 0.3^2 + 0.2^2) = 0.7032.
  EXPECT_GT(differ, 600);
}

TEST(ClassMix, SharesAreWeightsAndAZeroShareIsNeverDrawn) {
  const ClassMix mix{{{"high", 3}, {"never", 0}, {"low", 1}}};
  const std::map<std::string, double> shares = DrawShares(mix, 3, 40'000);
  EXPECT_NEAR(shares.at("high"), 0.75, 0.01);
  EXPECT_NEAR(shares.at("low"), 0.25, 0.01);
  EXPECT_EQ(shares.count("never"), 0u);
}

TEST(ClassMix, InvalidMixesAreRejectedWithTheReason) {
  EXPECT_EQ(ValidateClassMix(ClassMix{{}}).error().message, "class mix: empty");
  EXPECT_EQ(ValidateClassMix(ClassMix{{{"", 1}}}).error().message,
            "class mix: a class name is empty");
  EXPECT_EQ(ValidateClassMix(ClassMix{{{"low", -1}}}).error().message,
            "class mix: share of \"low\" must be a finite number >= 0, got -1");
  EXPECT_EQ(ValidateClassMix(ClassMix{{{"low", 0}}}).error().message, "class mix: shares sum to 0");
}

// --- checkpoints and times ---------------------------------------------------

TEST(SynthesizeCheckpoints, A4000SecondJobAt1800SecondsIsThreeEpochsOf1333Seconds) {
  TraceJob job;
  SynthesizeCheckpoints(4000, 1800, job);
  EXPECT_EQ(job.epochs, 3);
  EXPECT_NEAR(job.epoch_s, 1333.33, 0.01);
  EXPECT_EQ(job.save_period, 1);
  EXPECT_DOUBLE_EQ(job.duration_s, 0) << "epochs replace duration_s";
}

TEST(SynthesizeCheckpoints, ARunNoLongerThanTheIntervalIsOneEpoch) {
  TraceJob job;
  SynthesizeCheckpoints(1800, 1800, job);
  EXPECT_EQ(job.epochs, 1);
  EXPECT_DOUBLE_EQ(job.epoch_s, 1800);
  SynthesizeCheckpoints(1, 1800, job);
  EXPECT_EQ(job.epochs, 1);
  EXPECT_DOUBLE_EQ(job.epoch_s, 1);
  SynthesizeCheckpoints(1801, 1800, job);
  EXPECT_EQ(job.epochs, 2);
  EXPECT_DOUBLE_EQ(job.epoch_s, 900.5);
}

TEST(ParseCivilTime, CountsSecondsFromTheUnixEpochWithoutATimeZone) {
  EXPECT_EQ(ParseCivilTime("1970-01-01 00:00:00"), 0);
  EXPECT_EQ(ParseCivilTime("2017-10-01 00:00:00"), 1'506'816'000);
  EXPECT_EQ(ParseCivilTime("2016-02-29 23:59:59"), 1'456'790'399) << "a leap day";
}

TEST(ParseCivilTime, RejectsOtherShapesAndImpossibleDates) {
  for (const char* bad :
       {"2017-10-01T00:00:00", "2017-10-01 00:00", "2017-02-30 00:00:00", "2017-13-01 00:00:00",
        "2017-10-01 24:00:00", "2017-10-01 00:60:00", "2017-1a-01 00:00:00", ""}) {
    EXPECT_FALSE(ParseCivilTime(bad).has_value()) << bad;
  }
  EXPECT_EQ(ParseCivilTime("2017-02-30 00:00:00").error().message,
            "invalid time \"2017-02-30 00:00:00\": expected YYYY-MM-DD HH:MM:SS");
}

TEST(HeliosPhillyWindow, SpansOctoberAndNovember2017Inclusive) {
  const TimeWindow w = HeliosPhillyWindow();
  EXPECT_EQ(w.start_s, *ParseCivilTime("2017-10-01 00:00:00"));
  EXPECT_EQ(w.end_s - w.start_s, 61 * 86400 - 1);
}

// --- files ----------------------------------------------------------------------

TEST(ReadFileText, ReturnsTheBytesUnchanged) {
  const Result<std::string> text = ReadFileText(testing::TracePath("tiresias/cluster_spec.csv"));
  ASSERT_TRUE(text.has_value()) << text.error().message;
  EXPECT_EQ(*text,
            "num_switch,num_node_p_switch,num_gpu_p_node,num_cpu_p_node,mem_p_node\n"
            "1,16,4,128,254");
}

TEST(ReadFileText, AMissingFileIsNotFoundAndNamesThePath) {
  const Result<std::string> text = ReadFileText("/nonexistent/trace.csv");
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(text.error().message,
            "cannot read \"/nonexistent/trace.csv\": No such file or directory");
}

TEST(ReadFileText, ADirectoryCannotBeRead) {
  const Result<std::string> text = ReadFileText(GPUSCHED_TRACES_DIR);
  ASSERT_FALSE(text.has_value());
  EXPECT_EQ(text.error().code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(text.error().message, HasSubstr("Is a directory"));
}

// --- Tiresias: the real 60-job trace -----------------------------------------

constexpr const char* kTiresiasHeader =
    "job_id,num_gpu,submit_time,iterations,model_name,duration,interval\n";

TEST(TiresiasTrace, The60JobTraceHas30x1And10Each2x4x8GpuJobs) {
  const Result<TraceRead> read = ParseTiresiasCsv(ReadTrace("tiresias/60_job.csv"), {});
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_EQ(read->stats.rows, 60);
  EXPECT_EQ(read->stats.kept, 60);
  EXPECT_TRUE(read->stats.dropped.empty());
  std::map<int, int> by_gpus;
  for (const TraceJob& j : read->jobs) ++by_gpus[j.gpus];
  EXPECT_THAT(by_gpus, ElementsAre(Pair(1, 30), Pair(2, 10), Pair(4, 10), Pair(8, 10)));
}

TEST(TiresiasTrace, JobsAreWholeGpuRecordedRunsInSubmitOrder) {
  const Result<TraceRead> read = ParseTiresiasCsv(ReadTrace("tiresias/60_job.csv"), {});
  ASSERT_TRUE(read.has_value()) << read.error().message;
  const TraceJob& first = read->jobs.front();  // 0,1,0,606,vgg19,164,30 (CRLF line ends)
  EXPECT_EQ(first.id, "tiresias-0");
  EXPECT_EQ(first.tenant, "default");
  EXPECT_EQ(first.submit_s, 0);
  EXPECT_EQ(first.epochs, 1);
  EXPECT_DOUBLE_EQ(first.epoch_s, 164);
  EXPECT_EQ(read->jobs.back().submit_s, 1779);
  std::int64_t last = 0;
  for (const TraceJob& j : read->jobs) {
    EXPECT_GE(j.submit_s, last);
    last = j.submit_s;
    EXPECT_TRUE(j.exclusive);
    EXPECT_FALSE(j.memory_mib.has_value());
    EXPECT_FALSE(j.speed_scaled);
    EXPECT_EQ(j.epochs, 1) << "durations are 121..1800 s, within one 1800 s interval";
    EXPECT_GE(j.epoch_s, 121);
    EXPECT_LE(j.epoch_s, 1800);
    EXPECT_FALSE(j.class_name.empty());
  }
}

TEST(TiresiasTrace, ClassesComeFromTheSeededMixByRowOrdinal) {
  TiresiasOptions options;
  options.seed = 99;
  const Result<TraceRead> read = ParseTiresiasCsv(ReadTrace("tiresias/60_job.csv"), options);
  ASSERT_TRUE(read.has_value()) << read.error().message;
  for (const TraceJob& j : read->jobs) {
    const std::uint64_t row = std::stoull(j.id.substr(std::string("tiresias-").size()));
    EXPECT_EQ(j.class_name, PickClass(options.class_mix, 99, row)) << j.id;
  }
}

TEST(TiresiasTrace, FractionalDurationsRoundUpToWholeSeconds) {
  const Result<TraceRead> read =
      ParseTiresiasCsv(std::string(kTiresiasHeader) + "7,2,5,10,vgg16,0.2,1\n", {});
  ASSERT_TRUE(read.has_value()) << read.error().message;
  EXPECT_DOUBLE_EQ(read->jobs[0].epoch_s, 1);
  EXPECT_EQ(read->jobs[0].gpus, 2);
}

TEST(TiresiasTrace, ErrorsNameTheLineAndTheColumn) {
  const auto error = [](std::string text, TiresiasOptions options = {}) {
    const Result<TraceRead> read = ParseTiresiasCsv(text, options);
    return read ? std::string("parsed") : read.error().message;
  };
  const std::string h = kTiresiasHeader;
  EXPECT_EQ(error(h + "0,x,0,1,m,10,1\n"),
            "line 2: \"num_gpu\": must be an integer >= 1, got \"x\"");
  EXPECT_EQ(error(h + "0,1,0,1,m,10,1\n0,1,0,1,m,10,1\n"),
            "line 3: \"job_id\": must be unique, got \"0\"");
  EXPECT_EQ(error(h + "0,1,-5,1,m,10,1\n"),
            "line 2: \"submit_time\": must be an integer of seconds >= 0, got \"-5\"");
  EXPECT_EQ(error(h + "0,1,0,1,m,0,1\n"), "line 2: \"duration\": must be a number > 0, got \"0\"");
  EXPECT_EQ(error(h + "0,1,0,1,m,10\n"), "line 2: expected 7 fields, got 6");
  TiresiasOptions no_interval;
  no_interval.checkpoint_interval_s = 0;
  EXPECT_EQ(error(h, no_interval), "checkpoint_interval_s: must be >= 1, got 0");
}

// --- the CSV rules every reader follows -------------------------------------

TEST(TraceCsv, AHeaderWithOtherColumnsIsRejectedNamingBoth) {
  const Result<TraceRead> read = ParseTiresiasCsv("job_id,num_gpu,submit\n0,1,0\n", {});
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().message,
            "line 1: header must be "
            "\"job_id,num_gpu,submit_time,iterations,model_name,duration,interval\", "
            "got \"job_id,num_gpu,submit\"");
}

TEST(TraceCsv, AnEmptyTextLacksTheHeader) {
  const Result<TraceRead> read = ParseTiresiasCsv("\n\n", {});
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().message,
            "line 1: missing header "
            "\"job_id,num_gpu,submit_time,iterations,model_name,duration,interval\"");
}

TEST(TraceCsv, QuotedFieldsAreRejectedRatherThanGuessed) {
  const Result<TraceRead> read =
      ParseTiresiasCsv(std::string(kTiresiasHeader) + "0,1,0,1,\"m,n\",10,1\n", {});
  ASSERT_FALSE(read.has_value());
  EXPECT_EQ(read.error().message, "line 2: quoted fields are not supported");
}

TEST(TraceCsv, BlankLinesAndCarriageReturnsAreSkipped) {
  const Result<TraceRead> read = ParseTiresiasCsv(
      "\r\njob_id,num_gpu,submit_time,iterations,model_name,duration,interval\r\n\r\n"
      "3,1,9,1,m,10,1\r\n\n",
      {});
  ASSERT_TRUE(read.has_value()) << read.error().message;
  ASSERT_EQ(read->jobs.size(), 1u);
  EXPECT_EQ(read->jobs[0].id, "tiresias-3");
  EXPECT_EQ(read->stats.rows, 1);
}

}  // namespace
}  // namespace gpusched::sim
