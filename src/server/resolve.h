// From the job spec a user wrote to the request the control plane queues:
// GPU type names looked up in the catalog, the per-GPU memory need decided
// (explicit memory_mib, else the estimate from the Ultralytics fields, else
// whole GPUs for a command job without memory_mib), runtime hints in T4
// seconds. Pure; safe on any thread.
#pragma once

#include <string>

#include "api/job_spec.h"
#include "gpusched/gpu_catalog.h"
#include "gpusched/memory_estimate.h"
#include "server/control.h"

namespace gpusched::server {

// `tenant` is the tenant the job is for (decided by the caller from the
// spec and the token). Fails naming the field: an unknown GPU type.
Result<JobRequest> ResolveJob(const api::JobSpec& spec, const std::string& tenant,
                              const GpuCatalog& catalog, const MemoryEstimator& estimator);

}  // namespace gpusched::server
