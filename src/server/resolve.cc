#include "server/resolve.h"

#include <cmath>

#include <fmt/format.h>

namespace gpusched::server {

Result<JobRequest> ResolveJob(const api::JobSpec& spec, const std::string& tenant,
                              const GpuCatalog& catalog, const MemoryEstimator& estimator) {
  JobRequest r;
  r.name = spec.name.value_or("");
  r.tenant = tenant;
  r.class_name = spec.class_name.value_or("");
  r.gpus = spec.gpus;
  r.exclusive = spec.exclusive;
  r.preemptible = spec.preemptible;
  r.image = spec.image.value_or("");
  r.dataset = spec.dataset.value_or("");
  r.max_retries = spec.max_retries;
  for (std::size_t i = 0; i < spec.gpu_types.size(); ++i) {
    const std::optional<GpuTypeId> id = catalog.Find(spec.gpu_types[i]);
    if (!id) {
      return MakeError(ErrorCode::kInvalidArgument,
                       fmt::format("gpu_types[{}]: unknown GPU type \"{}\" (see gpusched catalog)",
                                   i, spec.gpu_types[i]));
    }
    r.gpu_types.push_back(*id);
  }
  if (const auto* yolo = std::get_if<api::UltralyticsSpec>(&spec.trainer)) {
    const UltralyticsParams params = api::ToUltralyticsParams(*yolo);
    const std::optional<MemoryNeed> need =
        ResolveMemoryNeed(spec.memory_mib, &params, spec.gpus, estimator);
    if (need) {
      r.memory_per_gpu_mib = need->per_gpu_mib;
      r.memory_estimated = !spec.memory_mib && need->per_gpu_mib > 0;
      r.memory_fraction_permille = need->fraction_permille;
      r.exclusive = r.exclusive || need->exclusive;
    }
    r.model_key = MemoryKey(params, spec.gpus);
    r.epochs = yolo->epochs;
  } else {
    const auto& cmd = std::get<api::CommandSpec>(spec.trainer);
    r.epochs = cmd.epochs.value_or(0);
    if (spec.memory_mib) {
      r.memory_per_gpu_mib = *spec.memory_mib;
    } else {
      r.exclusive = true;  // nothing says how much it needs: whole GPUs
    }
  }
  if (spec.estimate) {
    r.epoch_t4 = Duration(std::llround(spec.estimate->epoch_s));
    r.duration_t4 = Duration(std::llround(spec.estimate->duration_s));
  }
  r.spec_json = api::JobSpecToJson(spec);
  return r;
}

}  // namespace gpusched::server
