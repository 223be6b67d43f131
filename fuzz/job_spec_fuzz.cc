// libFuzzer target over the job-spec parser (`make fuzz` builds and runs it).
//
// Each input is parsed as YAML and as JSON. Whatever the input, the parser
// must return (no crash, no sanitizer report, no exception), and an error
// must be kInvalidArgument with a non-empty, valid UTF-8 message. Every accepted spec must survive
// the canonical JSON round trip:
//   ParseJobSpec(JobSpecToJson(s), kJson) == s, and the canonical text is a
//   fixed point (serializing the re-read spec gives the same bytes);
// and, since JSON is a subset of YAML 1.2, reading the canonical text as
// YAML must give the same spec (the two readers agree). A violation aborts,
// which libFuzzer reports as a crash and saves as an artifact.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/job_spec.h"
#include "api/spec_text.h"

namespace {

using gpusched::ErrorCode;
using gpusched::Result;
using gpusched::api::JobSpec;
using gpusched::api::JobSpecToJson;
using gpusched::api::ParseJobSpec;
using gpusched::api::SpecFormat;

[[noreturn]] void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "job_spec_fuzz: %s\n%.*s\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

void CheckRefusal(const Result<JobSpec>& spec) {
  if (spec) return;
  if (spec.error().code != ErrorCode::kInvalidArgument) Fail("error code", spec.error().message);
  if (spec.error().message.empty()) Fail("empty error message", "");
  // Messages go into JSON responses: they must be valid UTF-8.
  if (!gpusched::api::IsValidUtf8(spec.error().message))
    Fail("message not UTF-8", spec.error().message);
}

void CheckRoundTrip(const JobSpec& spec) {
  const std::string json = JobSpecToJson(spec);
  const Result<JobSpec> again = ParseJobSpec(json, SpecFormat::kJson);
  if (!again) Fail("canonical JSON refused", json + "\n" + again.error().message);
  if (!(*again == spec)) Fail("JSON round trip changed the spec", json);
  if (JobSpecToJson(*again) != json) Fail("canonical JSON is not a fixed point", json);
  const Result<JobSpec> as_yaml = ParseJobSpec(json, SpecFormat::kYaml);
  if (!as_yaml) Fail("canonical JSON refused as YAML", json + "\n" + as_yaml.error().message);
  if (!(*as_yaml == spec)) Fail("canonical JSON reads differently as YAML", json);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  for (SpecFormat format : {SpecFormat::kYaml, SpecFormat::kJson}) {
    const Result<JobSpec> spec = ParseJobSpec(text, format);
    CheckRefusal(spec);
    if (spec) CheckRoundTrip(*spec);
  }
  return 0;
}
