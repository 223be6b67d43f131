// What the server assigns to this node, and how the agent turns one
// assignment into a process: the argv (`yolo train ...`, its resume form, a
// command, or `docker run ...` around it), the environment and the folders.
// Pure: no I/O apart from the one stat of last.pt the caller passes in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "api/job_spec.h"
#include "gpusched/status.h"
#include "gpusched/types.h"

namespace gpusched::agent {

// One run of a job on this node, as `GET /v1/agents/{node}/assignments` gives it.
struct Assignment {
  std::uint64_t id = 0;  // the run (assignment) id
  JobId job = 0;
  std::vector<int> gpus;  // physical indices on this node
  int resume_epoch = 0;   // the checkpoint the run starts from
  bool stop = false;      // the server wants the run stopped
  int stop_in_s = 0;      // seconds until the kill, when stop
  int save_period = 5;    // most epochs between checkpoints
  std::string class_name;
  std::optional<api::JobSpec> spec;  // unset when the spec could not be read
  std::string spec_error;            // why, when spec is unset

  bool operator==(const Assignment&) const = default;
};

struct AssignmentList {
  std::vector<Assignment> assignments;
  std::string version;
};

// Reads the JSON body of the assignments route. A malformed list is an
// error naming the field; a spec that does not parse only marks its run.
Result<AssignmentList> ParseAssignmentList(std::string_view body);

// How runs are started on this node.
struct LaunchConfig {
  std::vector<std::string> yolo{"yolo"};  // the program that takes `train k=v ...`
  std::string checkpoint_root;  // job folders live here: <root>/job-<id>
  bool docker = false;          // run jobs that name an image in containers
};

// A run, ready to spawn.
struct Launch {
  std::vector<std::string> argv;
  std::vector<std::pair<std::string, std::string>> env;
  std::string job_folder;  // <root>/job-<id>: kept across runs and nodes
  std::string run_folder;  // where results.csv and weights/last.pt appear
  bool resumed = false;    // argv resumes from weights/last.pt
  std::string note;        // a line for the run's log, e.g. why it starts over
};

// The job folder of `job` under `root`.
std::string JobFolder(const std::string& root, JobId job);

// Builds the launch of `a` (REQUIRES: a.spec). `last_pt_exists`: whether
// <run_folder>/weights/last.pt is there (the caller looks).
//
// Ultralytics: `yolo train model= data= epochs= imgsz= batch= device=<the
// assigned indices> save_period= project=<job folder> name=<job name>
// exist_ok=True ...`; with resume_epoch > 0 and a last.pt,
// `yolo train resume model=<run folder>/weights/last.pt`. A command job runs
// its argv; its run folder is the job folder.
//
// Environment: CUDA_VISIBLE_DEVICES and CUDA_DEVICE_ORDER=PCI_BUS_ID (the
// assigned GPUs), GPUSCHED_JOB_ID, GPUSCHED_RUN_ID, GPUSCHED_CHECKPOINT_DIR
// (the run folder), GPUSCHED_RESUME_EPOCH, GPUSCHED_SAVE_PERIOD, then the
// spec's env. With config.docker and a spec image, the argv is wrapped in
// `docker run` (see DockerArgv).
Launch BuildLaunch(const Assignment& a, const LaunchConfig& config, bool last_pt_exists);

// The name of the run inside the job folder: the job's name, else job-<id>.
std::string RunName(const Assignment& a);

// `docker run --rm --init --name gpusched-run-<id> --gpus "device=0,2"
// --ipc=host -e K=V ... -v <job folder>:<job folder> -w <job folder> IMAGE ARGV...`
// REQUIRES: a.spec and a.spec->image.
std::vector<std::string> DockerArgv(const Assignment& a, const Launch& inner);

}  // namespace gpusched::agent
