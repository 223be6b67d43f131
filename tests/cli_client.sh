#!/usr/bin/env bash
# The client commands of the gpusched binary (submit, jobs, describe, boost,
# cancel, freeze, nodes, sla, events, ...) against a real `gpusched server`
# on a free port of 127.0.0.1, with an empty fleet (no agents).
# Usage: tests/cli_client.sh path/to/gpusched
set -euo pipefail

if [[ $# -ne 1 || ! -x "$1" ]]; then
  echo "usage: $0 path/to/gpusched (an executable)" >&2
  exit 2
fi
GPUSCHED=$1
WORK=$(mktemp -d)
TOKEN=cli-client-test-0123456789
server_pid=""

stop_server() {
  [[ -n "$server_pid" ]] || return 0
  kill -TERM "$server_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=""
}
trap 'stop_server; rm -rf "$WORK"' EXIT

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
  "$GPUSCHED" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" </dev/null
  rc=$?
  set -e
}
show() {
  echo "--- stdout of $1:" >&2; cat "$WORK/$1.out" >&2
  echo "--- stderr of $1:" >&2; cat "$WORK/$1.err" >&2
}
# check NAME DESCRIPTION EXPECTED_RC [grep -E pattern on stdout]...
check() {
  local name=$1 what=$2 want=$3
  shift 3
  local ok=1
  [[ $rc -eq $want ]] || ok=0
  for pattern in "$@"; do grep -Eq -- "$pattern" "$WORK/$name.out" || ok=0; done
  if [[ $ok -eq 1 ]]; then
    pass "$what"
  else
    fail "$what: exit $rc (want $want), or stdout lacks one of: $*"; show "$name"
  fi
}
# check_err NAME DESCRIPTION EXPECTED_RC [grep -E pattern on stderr]...
check_err() {
  local name=$1 what=$2 want=$3
  shift 3
  local ok=1
  [[ $rc -eq $want ]] || ok=0
  for pattern in "$@"; do grep -Eqi -- "$pattern" "$WORK/$name.err" || ok=0; done
  if [[ $ok -eq 1 ]]; then
    pass "$what: $(head -n1 "$WORK/$name.err")"
  else
    fail "$what: exit $rc (want $want), or stderr lacks one of: $*"; show "$name"
  fi
}
# json_check NAME PYTHON: stdout of NAME must be JSON; PYTHON asserts on `doc`.
json_check() {
  python3 -c "import json, sys
doc = json.load(open(sys.argv[1]))
$2" "$WORK/$1.out"
}

# --- the server -------------------------------------------------------------
"$GPUSCHED" server --db "$WORK/db" --listen 127.0.0.1:0 --admin-token "$TOKEN" \
  >"$WORK/server.out" 2>"$WORK/server.err" &
server_pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/^gpusched server listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' \
    "$WORK/server.out" 2>/dev/null | head -n1)
  [[ -n "$port" ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -z "$port" ]]; then
  echo "FAIL: the server never printed its port" >&2
  cat "$WORK/server.out" "$WORK/server.err" >&2
  exit 1
fi
export GPUSCHED_SERVER="http://127.0.0.1:$port"
export GPUSCHED_TOKEN="$TOKEN"
echo "server on port $port"

cat >"$WORK/job.yaml" <<'YAML'
name: cli-test
class: low
ultralytics: {model: yolov8n.pt, data: coco8.yaml, epochs: 3}
gpus: 1
YAML
cat >"$WORK/job.json" <<'JSON'
{"name": "cli-json", "ultralytics": {"model": "yolov8n.pt", "data": "coco8.yaml", "epochs": 2}}
JSON

# --- submit -------------------------------------------------------------------
run submit submit "$WORK/job.yaml"
check submit "submit a YAML job file" 0 '^job [0-9]+ submitted: pending, class low, tenant default$'
id=$(sed -n 's/^job \([0-9]*\) submitted.*/\1/p' "$WORK/submit.out")
id=${id:-0}

run submit_json submit "$WORK/job.json"
check submit_json "submit a .json job file" 0 '^job [0-9]+ submitted: pending'
set +e
"$GPUSCHED" submit - <"$WORK/job.yaml" >"$WORK/submit_stdin.out" 2>"$WORK/submit_stdin.err"
rc=$?
set -e
check submit_stdin "submit - reads the job from stdin" 0 '^job [0-9]+ submitted: pending'

run submit_missing submit "$WORK/no-such-job.yaml"
check_err submit_missing "submit of a missing file names it" 2 'no-such-job\.yaml'

printf 'name: bad\nultralytics: {model: yolov8n.pt, data: d.yaml, epochs: 3}\ngpus: -2\n' \
  >"$WORK/bad.yaml"
run submit_bad submit "$WORK/bad.yaml"
check_err submit_bad "submit of an invalid spec shows the server's reason" 1 'gpus' 'HTTP 400'

# --- jobs, describe -----------------------------------------------------------
run jobs jobs
check jobs "jobs lists the job" 0 '^ID +NAME +TENANT +CLASS +STATE +GPUS +PROGRESS +WHERE/WHY' \
  "^$id +cli-test +default +low +pending +1 +0/3 "

run jobs_flags jobs --server "$GPUSCHED_SERVER" --token "$TOKEN" --state pending --class low
check jobs_flags "jobs --server --token --state --class" 0 "^$id +cli-test "

run jobs_json jobs -o json
if [[ $rc -eq 0 ]] && json_check jobs_json "
ids = [j['id'] for j in doc['jobs']]
assert $id in ids, ids
job = [j for j in doc['jobs'] if j['id'] == $id][0]
assert job['name'] == 'cli-test' and job['state'] == 'pending', job"; then
  pass "jobs -o json is JSON and holds job $id"
else
  fail "jobs -o json"; show jobs_json
fi

run jobs_none jobs --state running
check jobs_none "jobs with no match prints 'no jobs'" 0 '^no jobs$'

run jobs_bad_state jobs --state sleeping
check_err jobs_bad_state "jobs --state sleeping is a usage error" 2 'state'

run describe describe "$id"
check describe "describe shows the job, why it waits and its history" 0 \
  "^Job: +$id$" '^Name: +cli-test$' '^Class: +low' '^State: +pending' '^Waiting: ' \
  '^Submitted: +[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}[+-][0-9]{2}:[0-9]{2} \(' \
  '^History:' 'submitted'

run describe_json describe "$id" -o json
if [[ $rc -eq 0 ]] && json_check describe_json "
assert doc['id'] == $id and 'history' in doc and 'spec' in doc, doc"; then
  pass "describe -o json has spec and history"
else
  fail "describe -o json"; show describe_json
fi

run describe_missing describe 99999
check_err describe_missing "describe of an unknown job" 1 '^gpusched: no job 99999 \(HTTP 404 not_found\)$'

# --- boost, approve, cancel ---------------------------------------------------
run boost_bad boost "$id" --class high --for 2x
check_err boost_bad "boost --for 2x is a usage error naming --for" 2 '--for'

run boost boost "$id" --class high --for 1h
check boost "boost is accepted" 0 "^job $id boosted"
run describe_boosted describe "$id"
check describe_boosted "describe shows the boost" 0 '^Class: .*high'

run approve_help approve --help
check approve_help "approve exists" 0 'ID'

run cancel cancel "$id"
check cancel "cancel" 0 "^job $id cancelled: state cancelled$"
run describe_cancelled describe "$id"
check describe_cancelled "describe shows the job cancelled" 0 '^State: +cancelled' '^Ended: '
run jobs_cancelled jobs --state cancelled
check jobs_cancelled "jobs --state cancelled lists it" 0 "^$id +cli-test .* cancelled "

# --- freezes ------------------------------------------------------------------
run freeze_tenant freeze --tenant default --for 1h
check freeze_tenant "freeze --tenant" 0 '^frozen: tenant default until .*\(in (59m|1h)'
run freeze_cluster freeze --for 30m
check freeze_cluster "freeze (the cluster)" 0 '^frozen: cluster until '
run freezes freezes
check freezes "freezes lists both" 0 '^SCOPE +TARGET +EXPIRES' '^tenant +default ' '^cluster +- '
run unfreeze_tenant unfreeze --tenant default
check unfreeze_tenant "unfreeze --tenant" 0 '^removed 1 freeze$'
run unfreeze_cluster unfreeze
check unfreeze_cluster "unfreeze (the cluster)" 0 '^removed 1 freeze$'
run freezes_none freezes
check freezes_none "freezes after unfreeze" 0 '^no freezes$'
run freeze_both freeze --tenant default --job 1 --for 1h
check_err freeze_both "freeze --tenant with --job is a usage error" 2 'excludes|--job|--tenant'

# --- nodes, sla, events -------------------------------------------------------
run nodes nodes
check nodes "nodes on an empty fleet" 0 '^no nodes registered'

# An agent registers node-a with one T4 (the admin token may use the agent
# API); a pending job then starts on it.
if python3 - "$port" "$TOKEN" "$WORK/generation" <<'PY'
import json, sys, urllib.request
port, token = sys.argv[1], sys.argv[2]
reg = {"node": "node-a", "agent_id": "cli-test", "labels": ["image:yolo"],
       "gpus": [{"index": 0, "uuid": "GPU-0", "name": "Tesla T4", "memory_mib": 15360,
                 "healthy": True}]}
req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/agents/register",
    data=json.dumps(reg).encode(), method="POST",
    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
answer = json.loads(urllib.request.urlopen(req).read())
open(sys.argv[3], "w").write(str(answer["generation"]))
PY
then
  pass "registered node-a with a T4"
else
  fail "could not register node-a through the agent API"
fi
for _ in $(seq 50); do
  run jobs_running jobs --state running
  grep -q 'node-a:0' "$WORK/jobs_running.out" && break
  sleep 0.1
done
check jobs_running "jobs shows where a running job runs" 0 \
  '^[0-9]+ +cli-[a-z]+ +default +[a-z]+ +running +1 +0/[0-9]+ +node-a:0$'
running_id=$(awk '$5 == "running" {print $1; exit}' "$WORK/jobs_running.out")
run describe_running describe "${running_id:-0}"
check describe_running "describe of a running job shows where and since when" 0 \
  '^State: +running$' '^Placement: +node-a:0$' '^Started: ' 'bind|start|assign'
if grep -q '^Waiting:' "$WORK/describe_running.out"; then
  fail "describe of a running job shows a wait"; show describe_running
fi
run nodes_one nodes
check nodes_one "nodes shows node-a and its GPU" 0 '^NAME +STATE +GPUS +LABELS' \
  '^node-a +ready +1 +image:yolo$' '^  gpu 0 +T4 +[0-9]+/[0-9]+ MiB +- +healthy +[0-9]+\([a-z]+\)( [0-9]+\([a-z]+\))*$'
run drain drain node-a
check drain "drain node-a" 0 '^node node-a drained: state drained$'
run undrain undrain node-a
check undrain "undrain node-a" 0 '^node node-a undrained: state ready$'
run drain_missing drain node-z
check_err drain_missing "drain of an unknown node" 1 'node-z' 'HTTP 404'

# --- logs ---------------------------------------------------------------------
# agent_report JOB JSON_ITEMS: posts node-a's reports about JOB's run, each
# item given without its "assignment" (the run's id is filled in).
agent_report() {
  python3 - "$port" "$TOKEN" "$(cat "$WORK/generation")" "$1" "$2" <<'PY'
import json, sys, urllib.request
port, token, gen, job, items = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def call(method, path, body=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
    return json.loads(urllib.request.urlopen(req).read())
runs = call("GET", f"/v1/agents/node-a/assignments?generation={gen}")["assignments"]
run = [a["id"] for a in runs if a["job"] == job][0]
reports = [dict(item, assignment=run) for item in json.loads(items)]
call("POST", "/v1/agents/node-a/reports", {"generation": gen, "reports": reports})
PY
}
logs_job=${running_id:-0}
run logs_none logs "$logs_job"
check_err logs_none "logs before any output says there is none" 0 'no log output held for job'
if agent_report "$logs_job" \
  '[{"kind": "log", "offset": 0, "text": "epoch 1/3 loss 0.9\n"},
    {"kind": "log", "offset": 19, "text": "epoch 2/3 loss 0.5\n"}]'; then
  pass "an agent sent two log items"
else
  fail "could not send log items through the agent API"
fi
run logs logs "$logs_job"
check logs "logs prints the run's output as it is" 0 '^epoch 1/3 loss 0\.9$' '^epoch 2/3 loss 0\.5$'
run logs_tail logs "$logs_job" --tail 11
if [[ $rc -eq 0 && "$(cat "$WORK/logs_tail.out")" == "3 loss 0.5" ]]; then
  pass "logs --tail 11 prints the last 11 bytes"
else
  fail "logs --tail 11"; show logs_tail
fi
run logs_json logs "$logs_job" -o json
if [[ $rc -eq 0 ]] && json_check logs_json "
assert doc['job'] == $logs_job and doc['node'] == 'node-a', doc
assert doc['runs'] == [doc['run']] and doc['start'] == 0 and doc['end'] == 38, doc
assert doc['text'].endswith('loss 0.5\n') and doc['job_state'] == 'running', doc"; then
  pass "logs -o json is the server's answer"
else
  fail "logs -o json"; show logs_json
fi
run logs_missing logs 99999
check_err logs_missing "logs of an unknown job" 1 'no job 99999' 'HTTP 404'
run logs_bad_tail logs "$logs_job" --tail 0
check_err logs_bad_tail "logs --tail 0 is a usage error naming --tail" 2 '--tail'
set +e
timeout 30 "$GPUSCHED" logs -f "$logs_job" --tail 19 >"$WORK/logs_follow.out" 2>"$WORK/logs_follow.err" &
follow_pid=$!
set -e
sleep 1.5
agent_report "$logs_job" \
  '[{"kind": "log", "offset": 38, "text": "epoch 3/3 loss 0.2\n"},
    {"kind": "exited", "exit_code": 0}]' || fail "could not send the last output and the exit"
set +e
wait "$follow_pid"
rc=$?
set -e
check logs_follow "logs -f prints new output and ends with the job" 0 \
  '^epoch 2/3 loss 0\.5$' '^epoch 3/3 loss 0\.2$'
if grep -q 'epoch 1/3' "$WORK/logs_follow.out" || [[ $(wc -l <"$WORK/logs_follow.out") -ne 2 ]]; then
  fail "logs -f --tail 19 printed more than the tail and what came after"; show logs_follow
fi

run sla sla
check sla "sla has a row per default class" 0 '^CLASS +TARGET +STARTED' '^critical ' '^high ' \
  '^medium ' '^low ' '^batch '
run sla_json sla --window 1h -o json
if [[ $rc -eq 0 ]] && json_check sla_json "
assert doc['window_s'] == 3600, doc
names = [c['class'] for c in doc['classes']]
assert names == ['critical', 'high', 'medium', 'low', 'batch'], names"; then
  pass "sla --window 1h -o json"
else
  fail "sla --window 1h -o json"; show sla_json
fi

run events events
check events "events shows the submission" 0 '^SEQ +TIME +JOB +KIND +TEXT' \
  "^[0-9]+ +[0-9T:+-]+ +$id +submitted "
run events_job events --job "$id" --kind sub --limit 5
check events_job "events --job --kind --limit" 0 "^[0-9]+ +[0-9T:+-]+ +$id +submitted "
if ! grep -v '^SEQ ' "$WORK/events_job.out" | grep -Ev "^[0-9]+ +[^ ]+ +$id +sub" | grep -q .; then
  pass "events --job --kind shows only that job's matching events"
else
  fail "events --job $id --kind sub shows other events"; show events_job
fi

# --- authentication and connection errors -------------------------------------
run bad_token jobs --token wrong-token-wrong-token
check_err bad_token "a wrong token" 1 'HTTP 401' 'token'
set +e
env -u GPUSCHED_TOKEN "$GPUSCHED" jobs >"$WORK/no_token.out" 2>"$WORK/no_token.err"
rc=$?
set -e
check_err no_token "no token at all" 1 'HTTP 401' 'GPUSCHED_TOKEN'
run bad_url jobs --server 'ftp://127.0.0.1:1'
check_err bad_url "a --server that is not an http URL is a usage error" 2 '--server'

stop_server
run unreachable jobs
check_err unreachable "a stopped server" 1 \
  "^gpusched: cannot reach the gpusched server at http://127\\.0\\.0\\.1:$port: connection refused"

if [[ $failures -ne 0 ]]; then
  echo "cli_client: $failures check(s) failed" >&2
  exit 1
fi
echo "cli_client: all checks passed"
