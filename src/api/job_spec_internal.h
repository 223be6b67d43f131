// The steps of job-spec validation that live in separate files. Internal to
// src/api/.
#pragma once

#include "api/job_spec.h"
#include "api/spec_fields.h"

namespace gpusched::api {

// Reads `ultralytics` or `command` (exactly one) and the top-level `epochs`
// into spec.trainer, checking the batch against spec.gpus.
// REQUIRES: spec.gpus was read already.
Status ReadTrainer(const Fields& top, JobSpec& spec);

// The epoch count the trainer declares: ultralytics.epochs, or the
// command's `epochs` hint; nullopt when a command gives none.
std::optional<int> DeclaredEpochs(const JobSpec& spec);

}  // namespace gpusched::api
