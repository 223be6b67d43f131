#!/usr/bin/env bash
# Smoke test of the gpusched binary: runs each working subcommand end to end.
# Usage: tests/cli_smoke.sh path/to/gpusched
set -euo pipefail

if [[ $# -ne 1 || ! -x "$1" ]]; then
  echo "usage: $0 path/to/gpusched (an executable)" >&2
  exit 2
fi
GPUSCHED=$1
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
pass() { echo "ok: $*"; }

# run NAME ARGS...: runs gpusched, keeps stdout/stderr in $WORK/NAME.{out,err},
# sets $rc to its exit code.
run() {
  local name=$1
  shift
  set +e
  "$GPUSCHED" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  rc=$?
  set -e
}
show() {
  echo "--- stdout:" >&2; cat "$WORK/$1.out" >&2
  echo "--- stderr:" >&2; cat "$WORK/$1.err" >&2
}

# 1. version
run version version
if [[ $rc -eq 0 ]] && grep -Eq '^gpusched [0-9]+\.[0-9]+\.[0-9]+' "$WORK/version.out"; then
  pass "version: $(head -n1 "$WORK/version.out")"
else
  fail "version: exit $rc, expected 0 and 'gpusched X.Y.Z'"; show version
fi

# 2. catalog lists T4 and A100-80, as a table and as JSON
run catalog catalog
if [[ $rc -eq 0 ]] && grep -Eq '^T4[[:space:]]' "$WORK/catalog.out" \
    && grep -Eq '^A100-80[[:space:]]' "$WORK/catalog.out"; then
  pass "catalog lists T4 and A100-80"
else
  fail "catalog: exit $rc, expected 0 and rows for T4 and A100-80"; show catalog
fi

run catalog_json catalog -o json
if [[ $rc -eq 0 ]] && python3 - "$WORK/catalog_json.out" <<'PY'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except ValueError as e:
    sys.exit(f"stdout is not JSON: {e}")
names = {t["name"] for t in doc["gpu_types"]}
missing = {"T4", "A100-80"} - names
if missing:
    sys.exit(f"missing GPU types: {sorted(missing)}; have {sorted(names)}")
for t in doc["gpu_types"]:
    if t["memory_mib"] <= 0 or t["speed_milli"] <= 0:
        sys.exit(f"bad entry: {t}")
PY
then
  pass "catalog -o json has T4 and A100-80"
else
  fail "catalog -o json: exit $rc or bad JSON"; show catalog_json
fi

# 3. estimate: yolov8x, batch 32, 640 px, fp32 needs 16000..20000 MiB per GPU
run estimate estimate --model yolov8x.pt --batch 32 --imgsz 640 --precision fp32 -o json
if [[ $rc -eq 0 ]] && mib=$(python3 - "$WORK/estimate.out" <<'PY'
import json, sys
try:
    doc = json.load(open(sys.argv[1]))
except ValueError as e:
    sys.exit(f"stdout is not JSON: {e}")
mib = doc["per_gpu_mib"]
if not isinstance(mib, int) or not 16000 <= mib <= 20000:
    sys.exit(f"per_gpu_mib = {mib!r}, expected 16000..20000")
if not doc.get("basis"):
    sys.exit("empty basis")
print(mib)
PY
); then
  pass "estimate yolov8x b32 i640 fp32: $mib MiB per GPU"
else
  fail "estimate yolov8x.pt: exit $rc, expected per_gpu_mib in 16000..20000"; show estimate
fi

run estimate_text estimate --model yolov8x.pt --batch 32 --imgsz 640 --precision fp32
if [[ $rc -eq 0 ]] && grep -Eq '[0-9]+ MiB' "$WORK/estimate_text.out"; then
  pass "estimate text output names MiB"
else
  fail "estimate (text): exit $rc, expected a MiB figure"; show estimate_text
fi

# 4. a model that is not YOLO is refused, naming it
run bad_model estimate --model resnet.pt
if [[ $rc -ne 0 ]] && grep -q 'resnet' "$WORK/bad_model.err"; then
  pass "estimate --model resnet.pt refused (exit $rc): $(head -n1 "$WORK/bad_model.err")"
else
  fail "estimate --model resnet.pt: exit $rc, expected non-zero and an error naming resnet"
  show bad_model
fi

# 5. a bad command line is a usage error, not a crash
run bad_usage estimate --model yolov8n.pt --batch 3 --gpus 2
if [[ $rc -eq 2 ]] && grep -q -- '--batch' "$WORK/bad_usage.err"; then
  pass "estimate --batch 3 --gpus 2 refused with exit 2"
else
  fail "estimate --batch 3 --gpus 2: exit $rc, expected 2 and an error naming --batch"
  show bad_usage
fi

# 6. sim: the factory scenario under all four policies, with JSON and HTML
run sim_factory sim --scenario factory --compare fifo,priority,k8s,gpusched \
  --json "$WORK/factory.json" --html "$WORK/factory.html"
if [[ $rc -eq 0 ]] && grep -q 'critical wait p95' "$WORK/sim_factory.out" && python3 - "$WORK/factory.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
runs = doc["runs"]
assert [r["policy"] for r in runs] == ["fifo", "priority", "k8s", "gpusched"], runs
keys = ["policy", "jobs", "completed", "classes", "jct_mean_s", "jct_p95_s",
        "queue_delay_mean_s", "makespan_s", "gpu_utilization", "preemptions",
        "max_preemptions_per_job_24h", "lost_gpu_hours", "lost_fraction",
        "starved_jobs", "sim_wall_s", "events"]
for r in runs:
    missing = [k for k in keys if k not in r]
    assert not missing, f"{r['policy']}: missing {missing}"
    for name, c in r["classes"].items():
        for k in ["jobs", "wait_p50_s", "wait_p95_s", "wait_p99_s", "wait_max_s",
                  "sla_target_s", "sla_attainment"]:
            assert k in c, f"{r['policy']}.classes.{name}: missing {k}"
ours = runs[3]["classes"]["critical"]
fifo = runs[0]["classes"]["critical"]
assert ours["wait_max_s"] <= 60, ours
assert fifo["wait_max_s"] > 3600, fifo
assert runs[3]["completed"] == runs[3]["jobs"], runs[3]
PY
then
  if grep -q '<svg' "$WORK/factory.html" && ! grep -Eq 'src="https?:' "$WORK/factory.html"; then
    pass "sim --scenario factory --compare: table, JSON keys, offline HTML"
  else
    fail "sim: the HTML report lacks charts or fetches something"
  fi
else
  fail "sim --scenario factory: exit $rc or JSON not as specified"; show sim_factory
fi

# 7. sim: a trace that does not parse is refused naming the line and field
printf '{"id": "a", "gpus": -2, "memory_mib": 1, "duration_s": 1}\n' >"$WORK/bad.jsonl"
printf 'nodes: [{name: n, gpus: 1xT4}]\n' >"$WORK/cluster.yaml"
run sim_bad sim --cluster "$WORK/cluster.yaml" --trace "$WORK/bad.jsonl"
if [[ $rc -eq 2 ]] && grep -q 'line 1: "gpus"' "$WORK/sim_bad.err"; then
  pass "sim refuses a bad trace: $(head -n1 "$WORK/sim_bad.err")"
else
  fail "sim with a bad trace: exit $rc, expected 2 and an error naming line 1 and gpus"
  show sim_bad
fi

# 8. server: starts on a free port, answers, accepts a job, stops on SIGTERM
TOKEN=0123456789abcdef-smoke
"$GPUSCHED" server --db "$WORK/server.db" --listen 127.0.0.1:0 --admin-token "$TOKEN" \
  >"$WORK/server.out" 2>"$WORK/server.err" &
server_pid=$!
port=""
for _ in $(seq 100); do
  port=$(grep -o '127.0.0.1:[0-9]*' "$WORK/server.out" 2>/dev/null | head -n1 | cut -d: -f2 || true)
  [[ -n "$port" ]] && break
  sleep 0.1
done
if [[ -z "$port" ]]; then
  fail "server: never printed its address"; cat "$WORK/server.err" >&2
else
  if python3 - "$port" "$TOKEN" <<'PY'
import json, sys, urllib.request
port, token = sys.argv[1], sys.argv[2]
base = f"http://127.0.0.1:{port}"
assert urllib.request.urlopen(base + "/healthz").read() == b"ok\n"
job = b"name: smoke\nultralytics: {model: yolov8n.pt, data: d.yaml, epochs: 3}\n"
req = urllib.request.Request(base + "/v1/jobs", data=job, method="POST",
    headers={"Authorization": "Bearer " + token, "Content-Type": "application/yaml"})
created = json.load(urllib.request.urlopen(req))
req = urllib.request.Request(f"{base}/v1/jobs/{created['id']}",
    headers={"Authorization": "Bearer " + token})
view = json.load(urllib.request.urlopen(req))
assert view["name"] == "smoke" and view["state"] == "pending", view
PY
  then
    pass "server on port $port: healthz, submit, describe"
  else
    fail "server: the API did not answer as expected"; cat "$WORK/server.err" >&2
  fi
fi
kill -TERM "$server_pid" 2>/dev/null || true
server_rc=0
for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$server_pid" 2>/dev/null; then
  kill -KILL "$server_pid"; fail "server: did not stop within 10 s of SIGTERM"
else
  wait "$server_pid" || server_rc=$?
  [[ $server_rc -eq 0 ]] && pass "server stopped cleanly on SIGTERM" || fail "server exit $server_rc"
fi

if [[ $failures -ne 0 ]]; then
  echo "cli_smoke: $failures check(s) failed" >&2
  exit 1
fi
echo "cli_smoke: all checks passed"
