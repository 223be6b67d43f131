// The `yolo train` command line the agent runs for an Ultralytics job.
//
// Pure and thread-safe. Each returned string is one argv element: no shell
// is involved, so nothing is quoted or escaped (a value may contain spaces).
#pragma once

#include <string>
#include <vector>

#include "api/job_spec.h"

namespace gpusched::agent {

// Where and how one run of a job trains.
struct YoloRun {
  // The program prefix: {"yolo"}, or {"/path/gpusched", "fake-yolo"}.
  std::vector<std::string> yolo;
  // The physical GPU indices assigned to the job. Ultralytics sets
  // CUDA_VISIBLE_DEVICES itself from `device=`, so these must be physical
  // indices, not indices into an outer CUDA_VISIBLE_DEVICES.
  std::vector<int> devices;
  std::string project;  // the job folder
  std::string name;     // the run name inside it
  // Epochs between checkpoints, as the server decided it for this run (the
  // spec's save_period bounded by its class's): it wins over
  // spec.save_period, which BuildYoloTrain does not read.
  int save_period = 5;
};

// prefix + {"train", "model=M", "data=D", "epochs=N", "imgsz=N",
// "batch=N" (or the fraction when spec.batch_fraction > 0), "device=0,2",
// "save_period=N", "project=P", "name=N", "exist_ok=True",
// "amp=True|False"} followed by every spec.args entry in key order as
// "key=value": bools as True/False, integers in decimal, doubles in the
// shortest form that reads back to the same value (with ".0" added to an
// integral one, "1.0", so Ultralytics reads a float), strings as they are.
// REQUIRES: run.yolo and run.devices are non-empty.
std::vector<std::string> BuildYoloTrain(const api::UltralyticsSpec& spec, const YoloRun& run);

// prefix + {"train", "resume", "model=<last_pt>"}, then "device=0,2" when
// `devices` is non-empty. Ultralytics restores every argument from last.pt,
// including `device`, unless `device=` is given again on the command line
// (it allows imgsz, batch, device and close_mosaic to be overridden on
// resume): pass the GPUs assigned to this run, which may differ from the
// lost run's. REQUIRES: yolo is non-empty.
std::vector<std::string> BuildYoloResume(const std::vector<std::string>& yolo,
                                         const std::string& last_pt,
                                         const std::vector<int>& devices = {});

// The folder a run writes results.csv, args.yaml and weights/ into:
// project + "/" + name (no second '/' when project already ends with one;
// just `name` when project is empty).
std::string RunFolder(const std::string& project, const std::string& name);

// "0,2": the device list as `device=` takes it.
std::string DeviceList(const std::vector<int>& devices);

// The shortest text that reads back as `value`, with ".0" appended when it
// would otherwise look like an integer: 0.01 -> "0.01", 1 -> "1.0",
// 1e-05 -> "1e-05".
std::string FormatArgDouble(double value);

}  // namespace gpusched::agent
