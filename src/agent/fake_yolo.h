// `gpusched fake-yolo`: a stand-in for `yolo train` that needs no GPU and no
// Python, and leaves the same files Ultralytics does, so that tests and the
// demo drive the agent exactly as a real run would.
//
//   gpusched fake-yolo train model=yolov8n.pt data=x.yaml epochs=20
//       save_period=5 project=/jobs/j1 name=run exist_ok=True device=0   (one line)
//   gpusched fake-yolo train resume model=/jobs/j1/run/weights/last.pt device=1
//
// Arguments are `key=value` like `yolo`'s; an optional task word (detect,
// segment, classify, pose, obb) may precede `train`. It uses model, data,
// epochs (required for a fresh run), save_period, project (default
// "runs/detect"), name (default "train"), exist_ok (default False: an
// existing folder gets a numbered sibling, train2, train3 ...), device,
// batch and imgsz; any other key is accepted and ignored.
//
// On disk, in {project}/{name}/:
//   args.yaml        `key: value` per argument, plus save_dir
//   results.csv      header `epoch,time,train/box_loss,metrics/mAP50(B)`, one
//                    row per finished epoch (cumulative seconds, a falling
//                    loss, a rising mAP), appended in one write
//   weights/last.pt  a small text document (epoch, epochs, time, save_dir and
//                    the original arguments), written atomically (temp file +
//                    rename) AFTER that epoch's row, every save_period epochs
//                    (every epoch when save_period <= 0, the default) and at
//                    the final epoch
//
// Resume (`train resume model=PATH`) reads PATH, restores the original
// arguments (device, imgsz and batch may be given again, as Ultralytics
// allows), prints `Resuming training PATH from epoch K+1 to E total epochs`
// and appends to the same results.csv. A checkpoint of the final epoch
// prints `PATH training to E epochs is finished, nothing to resume.` and
// exits 1.
//
// Environment:
//   GPUSCHED_FAKE_EPOCH_S         seconds per epoch (fractional, >= 0; default 1.0)
//   GPUSCHED_FAKE_FAIL_AT_EPOCH   N: during epoch N, print a Python-style
//                                 traceback ending in a CUDA RuntimeError to
//                                 stderr and exit 1
//   GPUSCHED_FAKE_SAVE_ON_TERM    "0": SIGTERM does not save (like Ultralytics);
//                                 anything else or unset: it saves
// CUDA_VISIBLE_DEVICES and GPUSCHED_JOB_ID are printed at start.
//
// SIGTERM / SIGINT set a flag (sigaction) that the epoch loop checks every
// 10 ms. Unless GPUSCHED_FAKE_SAVE_ON_TERM is "0", last.pt is then written
// for the last finished epoch when it is newer than the last one written
// (printing `saved last.pt at epoch K on SIGTERM`). The exit status is
// 128 + the signal (143 for SIGTERM).
#pragma once

#include <string>
#include <vector>

namespace gpusched::agent {

// Runs the fake trainer; `args` are the words after "fake-yolo". Returns the
// process exit status: 0 done, 1 training failed (injected failure, nothing
// to resume, a file that cannot be written), 2 bad arguments or environment
// (the message says which), 128 + signal when stopped. Progress goes to
// stdout (flushed per line), errors to stderr.
//
// Meant to be the whole of a process: while it runs it owns the SIGTERM and
// SIGINT handlers (restored on return). Not thread-safe.
int RunFakeYolo(const std::vector<std::string>& args);

}  // namespace gpusched::agent
