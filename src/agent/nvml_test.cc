// NVML discovery against tests/agent/fake_nvml.cc, a stand-in library loaded
// with dlopen exactly as libnvidia-ml.so.1 would be. Each test writes its own
// FAKE_NVML_CONFIG file (format in fake_nvml.cc).
#include "agent/nvml.h"

#include <dlfcn.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "agent/agent_testing.h"

namespace gpusched::agent {
namespace {

using testing::ScopedEnv;

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kFakeLibrary = FAKE_NVML_LIB;

class NvmlTest : public ::testing::Test {
 protected:
  // Writes this test's fake NVML config and points FAKE_NVML_CONFIG at it.
  void Config(const std::string& text) {
    const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
    const std::string path = ::testing::TempDir() + "fake_nvml_" + test->name() + ".conf";
    std::ofstream(path) << text;
    config_env_.emplace("FAKE_NVML_CONFIG", path);
  }

  static Result<std::unique_ptr<GpuSource>> Open(NvmlOptions options) {
    return OpenNvml(options, GpuCatalog::BuiltIn());
  }

  // The GPUs the fake library reports with a temperature limit of `limit_c`.
  static std::vector<GpuInfo> Discover(int limit_c = 90) {
    Result<std::unique_ptr<GpuSource>> source = Open({kFakeLibrary, limit_c});
    EXPECT_TRUE(source.has_value()) << source.error().message;
    if (!source) return {};
    Result<std::vector<GpuInfo>> gpus = (*source)->Discover();
    EXPECT_TRUE(gpus.has_value()) << gpus.error().message;
    return gpus ? *gpus : std::vector<GpuInfo>{};
  }

  // The error OpenNvml gives for `options`.
  static Error OpenError(const NvmlOptions& options) {
    Result<std::unique_ptr<GpuSource>> source = Open(options);
    EXPECT_FALSE(source.has_value()) << "opened " << (*source)->Describe();
    return source ? Error{} : source.error();
  }

 private:
  // No test sees the developer's own library setting.
  ScopedEnv library_env_{"GPUSCHED_NVML_LIB", std::nullopt};
  std::optional<ScopedEnv> config_env_;
};

TEST_F(NvmlTest, DiscoversEachGpuWithItsIndexUuidAndCatalogName) {
  Config(R"(
    gpu uuid=GPU-1111 name="NVIDIA A100-SXM4-40GB" total_mib=40960 used_mib=1024 util=35 temp=51
    gpu uuid=GPU-2222 name="Tesla T4" total_mib=15360 used_mib=0 util=0 temp=45
  )");
  const std::vector<GpuInfo> gpus = Discover();
  ASSERT_EQ(gpus.size(), 2u);
  EXPECT_EQ(gpus[0].index, 0);
  EXPECT_EQ(gpus[0].uuid, "GPU-1111");
  EXPECT_EQ(gpus[0].name, "A100-40");
  EXPECT_EQ(gpus[0].product_name, "NVIDIA A100-SXM4-40GB");
  EXPECT_EQ(gpus[1].index, 1);
  EXPECT_EQ(gpus[1].uuid, "GPU-2222");
  EXPECT_EQ(gpus[1].name, "T4");
  EXPECT_EQ(gpus[1].product_name, "Tesla T4");
}

TEST_F(NvmlTest, ReportsMemoryInMiBUtilizationAndTemperature) {
  Config(R"(
    gpu uuid=GPU-1111 name="NVIDIA A100-SXM4-40GB" total_mib=40960 used_mib=1024 util=35 temp=51
  )");
  const std::vector<GpuInfo> gpus = Discover();
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].memory_total_mib, 40960);
  EXPECT_EQ(gpus[0].memory_used_mib, 1024);
  EXPECT_EQ(gpus[0].utilization_pct, 35);
  EXPECT_EQ(gpus[0].temperature_c, 51);
  EXPECT_TRUE(gpus[0].healthy);
  EXPECT_EQ(gpus[0].health_reason, "");
}

TEST_F(NvmlTest, AProductNameTheCatalogLacksIsKeptAsTheName) {
  Config(R"(gpu uuid=GPU-9 name="NVIDIA Future GPU 9000" total_mib=1000)");
  const std::vector<GpuInfo> gpus = Discover();
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].name, "NVIDIA Future GPU 9000");
  EXPECT_EQ(gpus[0].product_name, "NVIDIA Future GPU 9000");
}

TEST_F(NvmlTest, ListsTheComputeProcessesOfEachGpu) {
  Config(R"(
    gpu uuid=GPU-1111 name="NVIDIA A100-SXM4-40GB" total_mib=40960
    gpu uuid=GPU-2222 name="Tesla T4" total_mib=15360
    proc gpu=0 pid=4242 used_mib=3000
    proc gpu=0 pid=4243 used_mib=na
  )");
  const std::vector<GpuInfo> gpus = Discover();
  ASSERT_EQ(gpus.size(), 2u);
  ASSERT_EQ(gpus[0].processes.size(), 2u);
  EXPECT_EQ(gpus[0].processes[0].pid, 4242);
  EXPECT_EQ(gpus[0].processes[0].used_mib, 3000);
  EXPECT_EQ(gpus[0].processes[1].pid, 4243);
  EXPECT_EQ(gpus[0].processes[1].used_mib, 0) << "NVML_VALUE_NOT_AVAILABLE reads as 0";
  EXPECT_TRUE(gpus[1].processes.empty());
}

TEST_F(NvmlTest, AProcessListLongerThanTheFirstGuessIsReadWhole) {
  std::string config = "gpu uuid=GPU-1 name=\"Tesla T4\" total_mib=15360\n";
  for (int pid = 100; pid < 120; ++pid) {
    config += "proc gpu=0 pid=" + std::to_string(pid) + " used_mib=10\n";
  }
  Config(config);
  const std::vector<GpuInfo> gpus = Discover();
  ASSERT_EQ(gpus.size(), 1u);
  ASSERT_EQ(gpus[0].processes.size(), 20u);
  EXPECT_EQ(gpus[0].processes[19].pid, 119);
}

TEST_F(NvmlTest, AGpuAtOrAboveTheTemperatureLimitIsUnhealthyWithTheReason) {
  Config(R"(
    gpu uuid=GPU-A name="Tesla T4" total_mib=15360 temp=97
    gpu uuid=GPU-B name="Tesla T4" total_mib=15360 temp=90
    gpu uuid=GPU-C name="Tesla T4" total_mib=15360 temp=89
  )");
  const std::vector<GpuInfo> gpus = Discover(/*limit_c=*/90);
  ASSERT_EQ(gpus.size(), 3u);
  EXPECT_FALSE(gpus[0].healthy);
  EXPECT_EQ(gpus[0].health_reason, "too hot: 97 C (limit 90 C)");
  EXPECT_FALSE(gpus[1].healthy);
  EXPECT_EQ(gpus[1].health_reason, "too hot: 90 C (limit 90 C)");
  EXPECT_TRUE(gpus[2].healthy);
  EXPECT_EQ(gpus[0].temperature_c, 97) << "an unhealthy GPU still reports its readings";
}

TEST_F(NvmlTest, TheTemperatureLimitIsAnOption) {
  Config(R"(gpu uuid=GPU-A name="Tesla T4" total_mib=15360 temp=95)");
  EXPECT_TRUE(Discover(/*limit_c=*/100).at(0).healthy);
  EXPECT_FALSE(Discover(/*limit_c=*/95).at(0).healthy);
}

TEST_F(NvmlTest, ALostGpuIsStillListedButUnhealthyWithTheNvmlError) {
  Config(R"(
    gpu uuid=GPU-1111 name="NVIDIA A100-SXM4-40GB" total_mib=40960
    gpu uuid=GPU-3333 name="NVIDIA A10" total_mib=23028 lost=1
    gpu uuid=GPU-4444 name="Tesla T4" total_mib=15360
  )");
  const std::vector<GpuInfo> gpus = Discover();
  ASSERT_EQ(gpus.size(), 3u);
  const GpuInfo& lost = gpus[1];
  EXPECT_EQ(lost.index, 1);
  EXPECT_EQ(lost.uuid, "GPU-3333");
  EXPECT_EQ(lost.name, "A10");
  EXPECT_FALSE(lost.healthy);
  EXPECT_THAT(lost.health_reason,
              AllOf(StartsWith("lost: GPU is lost"), HasSubstr("nvmlDeviceGetMemoryInfo")));
  EXPECT_EQ(lost.utilization_pct, -1);
  EXPECT_EQ(lost.temperature_c, -1);
  EXPECT_TRUE(gpus[0].healthy);
  EXPECT_TRUE(gpus[2].healthy) << "one lost GPU does not spoil its neighbours";
}

TEST_F(NvmlTest, ReadingsTheGpuDoesNotSupportStayUnknownAndTheGpuHealthy) {
  Config(R"(gpu uuid=GPU-1 name="NVIDIA GeForce GTX 1650" total_mib=4096 util=na temp=na)");
  const std::vector<GpuInfo> gpus = Discover();
  ASSERT_EQ(gpus.size(), 1u);
  EXPECT_EQ(gpus[0].name, "GTX1650");
  EXPECT_EQ(gpus[0].utilization_pct, -1);
  EXPECT_EQ(gpus[0].temperature_c, -1);
  EXPECT_TRUE(gpus[0].healthy) << gpus[0].health_reason;
}

TEST_F(NvmlTest, AMachineWithoutGpusDiscoversNone) {
  Config("# a driver but no GPUs\n");
  EXPECT_TRUE(Discover().empty());
}

TEST_F(NvmlTest, DescribeNamesTheDriverVersionAndTheLibrary) {
  Config("driver=550.54.15\n");
  Result<std::unique_ptr<GpuSource>> source = Open({kFakeLibrary});
  ASSERT_TRUE(source.has_value()) << source.error().message;
  EXPECT_EQ((*source)->Describe(), std::string("NVML, driver 550.54.15 (") + kFakeLibrary + ")");
}

TEST_F(NvmlTest, AMissingLibraryIsAClearErrorNamingThePath) {
  const Error error = OpenError({"/nonexistent/libnvidia-ml.so.1"});
  EXPECT_EQ(error.code, ErrorCode::kNotFound);
  EXPECT_THAT(error.message,
              AllOf(StartsWith("cannot load NVML from \"/nonexistent/libnvidia-ml.so.1\": "),
                    HasSubstr("No such file"), HasSubstr("is the NVIDIA driver installed?"),
                    HasSubstr("--fake-gpus")));
}

TEST_F(NvmlTest, ALibraryThatIsNotNvmlIsAClearErrorNamingTheMissingFunction) {
  const Error error = OpenError({"libc.so.6"});
  EXPECT_EQ(error.code, ErrorCode::kNotFound);
  EXPECT_THAT(error.message, AllOf(HasSubstr("\"libc.so.6\""), HasSubstr("lacks nvmlInit_v2")));
}

TEST_F(NvmlTest, InitFailureIsAClearErrorWithTheNvmlErrorString) {
  Config("init_error=9\n");
  const Error error = OpenError({kFakeLibrary});
  EXPECT_EQ(error.code, ErrorCode::kFailedPrecondition);
  EXPECT_THAT(error.message,
              AllOf(HasSubstr(kFakeLibrary), HasSubstr("nvmlInit_v2 failed: Driver Not Loaded"),
                    HasSubstr("--fake-gpus")));
}

TEST_F(NvmlTest, WithoutALibraryOptionGpuschedNvmlLibNamesTheLibrary) {
  Config(R"(gpu uuid=GPU-1 name="Tesla T4" total_mib=15360)");
  const ScopedEnv env("GPUSCHED_NVML_LIB", kFakeLibrary);
  Result<std::unique_ptr<GpuSource>> source = Open({});
  ASSERT_TRUE(source.has_value()) << source.error().message;
  EXPECT_THAT((*source)->Describe(), HasSubstr(kFakeLibrary));
  EXPECT_EQ((*source)->Discover()->size(), 1u);
}

TEST_F(NvmlTest, AMissingLibraryFromGpuschedNvmlLibIsNamedInTheError) {
  const ScopedEnv env("GPUSCHED_NVML_LIB", "/opt/nowhere/libnvidia-ml.so.1");
  EXPECT_THAT(OpenError({}).message, HasSubstr("\"/opt/nowhere/libnvidia-ml.so.1\""));
}

TEST_F(NvmlTest, TheLibraryOptionWinsOverGpuschedNvmlLib) {
  Config(R"(gpu uuid=GPU-1 name="Tesla T4" total_mib=15360)");
  const ScopedEnv env("GPUSCHED_NVML_LIB", "/opt/nowhere/libnvidia-ml.so.1");
  EXPECT_TRUE(Open({kFakeLibrary}).has_value());
}

TEST_F(NvmlTest, DestroyingTheSourceShutsNvmlDown) {
  Config(R"(gpu uuid=GPU-1 name="Tesla T4" total_mib=15360)");
  // A handle of our own keeps the fake library loaded to ask it afterwards.
  void* library = dlopen(kFakeLibrary, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  using InitCount = int (*)();
  const auto init_count = reinterpret_cast<InitCount>(dlsym(library, "fake_nvml_init_count"));
  ASSERT_NE(init_count, nullptr);
  {
    Result<std::unique_ptr<GpuSource>> source = Open({kFakeLibrary});
    ASSERT_TRUE(source.has_value()) << source.error().message;
    EXPECT_EQ(init_count(), 1);
  }
  EXPECT_EQ(init_count(), 0);
  dlclose(library);
}

TEST_F(NvmlTest, DestroyingTheSourceUnloadsTheLibrary) {
  Config(R"(gpu uuid=GPU-1 name="Tesla T4" total_mib=15360)");
  {
    Result<std::unique_ptr<GpuSource>> source = Open({kFakeLibrary});
    ASSERT_TRUE(source.has_value()) << source.error().message;
    void* loaded = dlopen(kFakeLibrary, RTLD_NOW | RTLD_NOLOAD);
    EXPECT_NE(loaded, nullptr);
    if (loaded != nullptr) dlclose(loaded);
  }
  void* after = dlopen(kFakeLibrary, RTLD_NOW | RTLD_NOLOAD);
  EXPECT_EQ(after, nullptr) << "still loaded";
  if (after != nullptr) dlclose(after);
}

}  // namespace
}  // namespace gpusched::agent
