#!/usr/bin/env python3
"""End-to-end test of the dashboard in headless Chromium.

Starts a real `gpusched server` on a free port of 127.0.0.1 with two tenant
tokens, two agents with fake GPUs, and chromedriver; drives the page through
the W3C WebDriver HTTP API (standard library only) and checks that:

  - the fleet view shows every GPU of the agents;
  - a job submitted through the YAML form appears in the queue and starts,
    and the fields form submits a YOLO run or shows the API's refusal;
  - a boost changes its class on the page, in the queue and on the fleet's tiles;
  - the job's page shows its facts, timeline, progress chart, log tail,
    decision history and spec;
  - the SLA view shows each class's attainment and its charts;
  - an admin freezes and unfreezes preemption through the form;
  - a tenant token does not see another tenant's jobs, nor their pages;
  - a long queue shows the first 200 jobs of a class and counts the rest;
  - the page logs no console errors.

Usage: dashboard_test.py path/to/gpusched
Exit 0: passed; 1: failed; 77: skipped (no chromium or chromedriver; Debian
packages `chromium` and `chromium-driver`). With GPUSCHED_SCREENSHOTS=DIR,
saves DIR/dashboard-{fleet,queue,job,sla,events}.png.
"""

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

SKIP = 77
ADMIN = "dashboard-admin-0123456789"
QUALITY = "dashboard-quality-0123456789"
RESEARCH = "dashboard-research-0123456789"
AGENT = "dashboard-agent-0123456789"
NODES = {"node-a": "2xT4", "node-b": "1xA100-40"}
GPU_COUNT = 3
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"

CONFIG = f"""
tenants:
  - {{name: quality, guaranteed_gpus: 1, default_class: low, max_class_without_approval: high}}
  - {{name: research, guaranteed_gpus: 1, default_class: low}}
classes:
  - {{name: critical, value: 1000, min_runtime_s: 0, grace_s: 2, save_period: 2}}
  - {{name: high, value: 800, min_runtime_s: 0, grace_s: 2, save_period: 2}}
  - {{name: low, value: 200, min_runtime_s: 0, grace_s: 2, save_period: 2, sla: {{percentile: 90, max_wait_s: 600}}}}
tokens:
  - {{name: ops, role: admin, token: "{ADMIN}"}}
  - {{name: quality, role: tenant, tenant: quality, token: "{QUALITY}"}}
  - {{name: research, role: tenant, tenant: research, token: "{RESEARCH}"}}
  - {{name: agents, role: agent, token: "{AGENT}"}}
server:
  lease_s: 10
  cycle_interval_ms: 200
"""


def job_yaml(name, tenant, memory_mib=None, cls="low"):
    # The fake trainer: 60 epochs of 1 s, long enough to watch it run.
    return (f"name: {name}\ntenant: {tenant}\nclass: {cls}\n"
            + (f"memory_mib: {memory_mib}\n" if memory_mib else "") +
            "ultralytics: {model: yolov8n.pt, data: parts.yaml, epochs: 60, imgsz: 320, batch: 8}\n"
            "estimate: {epoch_s: 1}\n"
            'env: {GPUSCHED_FAKE_EPOCH_S: "1"}\n')


class Failure(Exception):
    pass


def log(msg):
    print(msg, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, pred, timeout=30.0, every=0.2):
    """Polls pred() until it returns a truthy value; raises after timeout."""
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = pred()
            if value:
                return value
        except (Failure, OSError, ValueError, KeyError) as e:
            last_error = e
        time.sleep(every)
    raise Failure(f"timed out after {timeout:.0f} s waiting for {what}"
                  + (f" (last error: {last_error})" if last_error else ""))


def http(method, url, body=None, token=None, content_type="application/json", timeout=30):
    data = None
    headers = {}
    if body is not None:
        data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
        headers["Content-Type"] = content_type
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw) if raw else {}
        except ValueError:
            return e.code, {"raw": raw.decode(errors="replace")}


class Processes:
    """Every process the test starts, each in its own process group."""

    def __init__(self):
        self.procs = []

    def start(self, name, args, log_path):
        out = open(log_path, "wb")
        p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                             start_new_session=True)
        out.close()
        self.procs.append((name, p))
        return p

    def stop_all(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for name, p in reversed(self.procs):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            try:
                os.killpg(p.pid, signal.SIGKILL)  # the group: chromium's children too
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                log(f"warning: {name} (pid {p.pid}) did not exit")


class Browser:
    """A WebDriver session with chromedriver, spoken over plain HTTP."""

    def __init__(self, driver_url, chromium, profile):
        self.url = driver_url
        caps = {
            "browserName": "chrome",
            "unhandledPromptBehavior": "ignore",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                         "--disable-background-networking", "--disable-component-update",
                         "--disable-sync", "--window-size=1400,1000",
                         f"--user-data-dir={profile}"],
            },
        }
        status, body = http("POST", f"{self.url}/session",
                            {"capabilities": {"alwaysMatch": caps}}, timeout=60)
        if status != 200:
            raise Failure(f"chromedriver refused the session: {status} {body}")
        self.session = body["value"]["sessionId"]
        self.base = f"{self.url}/session/{self.session}"

    def cmd(self, method, path, body=None, timeout=30):
        status, doc = http(method, self.base + path, body, timeout=timeout)
        if status != 200:
            value = doc.get("value", doc) if isinstance(doc, dict) else doc
            raise Failure(f"WebDriver {method} {path}: {status} {value}")
        return doc.get("value")

    def close(self):
        try:
            http("DELETE", self.base, timeout=15)
        except OSError:
            pass

    def go(self, url):
        self.cmd("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.cmd("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        found = self.cmd("POST", "/element", {"using": "css selector", "value": css})
        if not isinstance(found, dict) or ELEMENT not in found:
            raise Failure(f"WebDriver: no element for {css!r}: {found}")
        return found[ELEMENT]

    def click(self, css):
        # The page re-renders its view every poll: an element found just
        # before a re-render is stale, so find it again.
        for attempt in range(5):
            try:
                self.cmd("POST", f"/element/{self.find(css)}/click", {})
                return
            except Failure as e:
                if "stale element" not in str(e) or attempt == 4:
                    raise

    def type(self, css, text):
        element = self.find(css)
        self.cmd("POST", f"/element/{element}/clear", {})
        self.cmd("POST", f"/element/{element}/value", {"text": text})

    def accept_alert(self, expect):
        text = wait_for("a confirmation dialog", lambda: self.cmd("GET", "/alert/text"), timeout=10)
        if expect not in text:
            raise Failure(f"the confirmation says {text!r}, expected it to mention {expect!r}")
        self.cmd("POST", "/alert/accept", {})

    def screenshot(self, path):
        with open(path, "wb") as f:
            f.write(base64.b64decode(self.cmd("GET", "/screenshot")))

    def console(self):
        """The browser's console entries so far (chromedriver's log API)."""
        for path in ("/se/log", "/log"):
            status, doc = http("POST", self.base + path, {"type": "browser"})
            if status == 200:
                return doc.get("value", [])
        raise Failure("chromedriver serves no browser log (/se/log, /log)")


def sign_in(b, base_url, token):
    b.go(base_url + "/")
    wait_for("the sign-in form", lambda: b.js("return !document.getElementById('signin').hidden"))
    b.type("#token", token)
    b.click("#signin-form button[type=submit]")
    wait_for("the signed-in page", lambda: b.js("return !document.getElementById('tabs').hidden"))


def show(b, view):
    b.click(f".tab[data-view={view}]")
    wait_for(f"the {view} view", lambda: b.js(f"return !document.getElementById('view-{view}').hidden"))


def row_attr(b, job_id, attr):
    return b.js(f"const r = document.querySelector('tr[data-job-id=\"{job_id}\"]');"
                f"return r ? r.getAttribute('{attr}') : null;")


def run(gpusched, work, procs):
    chromium = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
    driver = shutil.which("chromedriver")
    if not chromium or not driver:
        log("SKIP: the dashboard test needs chromium and chromedriver "
            "(Debian: apt-get install chromium chromium-driver)")
        return SKIP
    shots = os.environ.get("GPUSCHED_SCREENSHOTS", "")

    # 1. The cluster: a server and two agents with fake GPUs.
    with open(os.path.join(work, "server.yaml"), "w") as f:
        f.write(CONFIG)
    server_log = os.path.join(work, "server.log")
    server = procs.start("server", [gpusched, "server", "--db", os.path.join(work, "state.db"),
                                    "--listen", "127.0.0.1:0", "--config",
                                    os.path.join(work, "server.yaml")], server_log)

    def port_from_log():
        if server.poll() is not None:
            raise Failure(f"the server exited: {open(server_log).read()}")
        for line in open(server_log, errors="replace"):
            if "listening on " in line:
                return int(line.split("listening on ", 1)[1].split()[0].rsplit(":", 1)[1])
        return None

    port = wait_for("the server to listen", port_from_log, timeout=20)
    base = f"http://127.0.0.1:{port}"
    for node, gpus in NODES.items():
        procs.start(node, [gpusched, "agent", "--server", base, "--token", AGENT, "--node", node,
                           "--fake-gpus", gpus, "--work-dir", os.path.join(work, node),
                           "--yolo", f"{gpusched} fake-yolo", "--stop-runs-on-exit", "1"],
                    os.path.join(work, f"{node}.log"))
    wait_for("both agents to register",
             lambda: len(http("GET", base + "/v1/nodes", token=ADMIN)[1].get("nodes", [])) == len(NODES),
             timeout=30)

    # 2. chromedriver and a headless browser.
    dport = free_port()
    procs.start("chromedriver", [driver, f"--port={dport}", "--allowed-ips=127.0.0.1"],
                os.path.join(work, "chromedriver.log"))
    durl = f"http://127.0.0.1:{dport}"
    wait_for("chromedriver", lambda: http("GET", durl + "/status", timeout=2)[0] == 200, timeout=20)
    b = Browser(durl, chromium, os.path.join(work, "profile"))
    try:
        return drive(b, base, shots)
    finally:
        b.close()


def job_page(b, job_id, check):
    """The job's page, opened from its row in the queue."""
    b.click(f"tr[data-job-id='{job_id}'] a.job-link")
    wait_for("the job page", lambda: b.js(
        f"const h = document.querySelector('#view-job .job-head'); return h && h.dataset.jobId === '{job_id}'"))
    check(b.js("return location.hash") == f"#job/{job_id}", "the job's link opens #job/ID")
    check(b.js("return document.querySelector('#view-job .job-head').dataset.class") == "high",
          "the job page shows the boosted class")
    facts = b.js("return document.querySelector('#view-job dl.facts').textContent")
    check("node-" in facts and "quality" in facts, f"its facts name its tenant and placement: {facts[:200]!r}")
    check("runs as high until" in facts and "then low again" in facts, "its facts say until when the boost holds")
    check(b.js("return document.querySelectorAll('#view-job rect.phase[data-phase=running]').length") >= 1,
          "its timeline shows it running")
    wait_for("two epochs on the progress chart",
             lambda: b.js("return document.querySelectorAll('#view-job circle.point').length >= 2"), timeout=30)
    check(True, "its progress chart shows the epochs reported")
    wait_for("the log tail", lambda: b.js("return document.getElementById('job-log').textContent.length > 0"), timeout=30)
    check(True, "its log tail shows the trainer's output")
    kinds = b.js("return [...document.querySelectorAll('#view-job tr[data-kind]')].map(r => r.dataset.kind)")
    check(all(k in kinds for k in ("submitted", "bind", "started", "boost")),
          f"its decision history lists submitted, bind, started, boost: {sorted(set(kinds))}")
    check("web-quality-job" in b.js("return document.querySelector('#view-job pre.spec').textContent"),
          "its spec is shown")


def preempted_job_page(b, base, check, shot):
    """An urgent job preempts a research job, then is cancelled: the victim
    resumes, and its page shows the stop, the requeue and both runs."""
    def job(i):
        return http("GET", base + f"/v1/jobs/{i}", token=ADMIN)[1]

    def research_epochs():
        return [j["progress"]["epochs_done"] for j in
                http("GET", base + "/v1/jobs?tenant=research&state=running", token=ADMIN)[1]["jobs"]]
    wait_for("four epochs of each running research job", lambda: min(research_epochs()) >= 4, timeout=30)
    status, body = http("POST", base + "/v1/jobs", job_yaml("web-quality-urgent", "quality", 12000, "high"),
                        token=ADMIN, content_type="application/yaml")
    check(status == 201, f"an urgent high job is submitted: {status} {body}")
    urgent = body["id"]
    wait_for("three epochs of the urgent job", lambda: job(urgent)["progress"]["epochs_done"] >= 3, timeout=30)
    victims = [j for j in http("GET", base + "/v1/jobs?tenant=research", token=ADMIN)[1]["jobs"] if j["preemptions"]]
    check(len(victims) == 1, f"one research job was preempted for it: {[v['id'] for v in victims]}")
    victim = victims[0]["id"]
    status, _ = http("POST", base + f"/v1/jobs/{urgent}/cancel", token=ADMIN)
    check(status == 200, "the urgent job is cancelled")
    wait_for("the victim to resume", lambda: job(victim)["state"] == "running", timeout=30)

    def second_run_points():
        trail = job(victim)["progress_trail"]
        runs = sorted({p["run"] for p in trail})
        return len(runs) == 2 and sum(p["run"] == runs[1] for p in trail) >= 4
    wait_for("four points of its second run", second_run_points, timeout=30)
    v = job(victim)
    second = [p for p in v["progress_trail"] if p["run"] == max(q["run"] for q in v["progress_trail"])]
    requeued = [e["text"] for e in v["history"] if e["kind"] == "requeued"]
    resumed_from = int(requeued[0].rsplit(" ", 1)[1]) if requeued else -1
    check(second[0]["epoch"] == resumed_from >= 4,
          f"its second run starts at the checkpoint it was requeued with: {second[0]['epoch']}, {requeued}")

    b.js(f"location.hash = '#job/{victim}'")
    wait_for("the victim's page", lambda: b.js(
        f"const h = document.querySelector('#view-job .job-head'); return h && h.dataset.jobId === '{victim}'"))
    phases = wait_for("two runs on the timeline", lambda: (lambda p: p if p.count("running") == 2 else None)(b.js(
        "return [...document.querySelectorAll('#view-job rect.phase')].map(r => r.dataset.phase)")), timeout=15)
    stop = phases.index("stopping") if "stopping" in phases else 0
    check(stop > 0 and "running" in phases[:stop] and "pending" in phases[stop:] and "running" in phases[stop:],
          f"its timeline: running, stopping, back in the queue, running again: {phases}")
    kinds = b.js("return [...document.querySelectorAll('#view-job tr[data-kind]')].map(r => r.dataset.kind)")
    check("stop" in kinds and "requeued" in kinds, f"its history lists the stop and the requeue: {sorted(set(kinds))}")
    check(b.js("return document.querySelectorAll('#view-job svg.chart g.series').length") == 2,
          "its progress chart has a line per run")
    facts = b.js("return document.querySelector('#view-job dl.facts').textContent")
    check("Preempted1 time" in facts, f"its facts count the preemption: {facts[:300]!r}")
    if shot:
        b.screenshot(shot)


def sla_view(b, check, shot):
    """The SLA view: a card per class, attainment for both windows, charts."""
    show(b, "sla")
    wait_for("the SLA cards", lambda: b.js("return document.querySelectorAll('.sla-card').length === 3"))
    cards = b.js("return [...document.querySelectorAll('.sla-card')].map(c => c.dataset.class)")
    check(cards == ["critical", "high", "low"], f"one card per class, highest first: {cards}")
    low = b.js("const s = document.querySelector('.sla-card[data-class=low] .stat[data-window=\"last hour\"]');"
               "return s ? s.textContent : ''")
    check(low.startswith("last hour100%") and "6 of 6 in time" in low,
          f"low's attainment over the last hour: every one of its 6 started jobs in time: {low!r}")
    check(b.js("return document.querySelectorAll('.sla-card[data-class=low] svg.chart').length") == 2,
          "low has an attainment chart and a wait distribution")
    check(b.js("return document.querySelectorAll('.sla-card[data-class=low] svg.chart rect.bar-rect').length") >= 2,
          "both of low's charts have bars")
    if shot:
        b.screenshot(shot)
    b.click("#sla-window option[value=day]")
    wait_for("the day's charts", lambda: b.js(
        "return document.querySelector('.sla-card[data-class=low] .chart-title').textContent.endsWith('1h')"))
    check(True, "the charts switch to the last day")


def freezes(b, check):
    """An admin freezes preemption for a tenant, then unfreezes it."""
    show(b, "queue")
    b.click("#freeze-scope option[value=tenant]")
    b.type("#freeze-target", "research")
    b.type("#freeze-minutes", "15")
    b.click("#freeze-form button[type=submit]")
    b.accept_alert("Freeze preemption")
    wait_for("the freeze", lambda: b.js("return !!document.querySelector('tr[data-freeze=\"tenant:research\"]')"),
             timeout=15)
    check(True, "a freeze made through the form is listed")
    b.click("tr[data-freeze='tenant:research'] button[data-action=unfreeze]")
    b.accept_alert("Unfreeze")
    wait_for("the freeze to go", lambda: b.js("return !document.querySelector('tr[data-freeze]')"), timeout=15)
    check(True, "unfreeze, confirmed, removes it")


def drive(b, base, shots):
    failures = []

    def check(ok, what):
        log(("ok: " if ok else "FAIL: ") + what)
        if not ok:
            failures.append(what)

    # 3. Fleet: every GPU of the agents is a tile.
    sign_in(b, base, ADMIN)
    tiles = wait_for(f"{GPU_COUNT} GPU tiles", lambda: (lambda t: t if len(t) == GPU_COUNT else None)(
        b.js("return [...document.querySelectorAll('.gpu-tile')].map(t => t.dataset.node + '/' + t.dataset.gpu)")))
    check(sorted(tiles) == ["node-a/0", "node-a/1", "node-b/0"], f"the fleet shows every GPU: {sorted(tiles)}")
    check(b.js("return document.querySelectorAll('.node-head button').length") == len(NODES),
          "an admin may drain each node")

    # 4. Queue: a job submitted through the form appears and starts.
    show(b, "queue")
    b.click("#submit-box summary")
    b.type("#submit-yaml", job_yaml("web-quality-job", "quality"))
    b.click("#submit-form button[type=submit]")
    result = wait_for("the submission's answer",
                      lambda: (lambda t: t if t.startswith("Submitted job") else None)(
                          b.js("return document.getElementById('submit-result').textContent")), timeout=15)
    job_id = int(result.split()[2])
    wait_for("the job in the queue", lambda: row_attr(b, job_id, "data-state"), timeout=15)
    check(True, f"job {job_id} submitted through the form appears in the queue")
    wait_for("the job to run", lambda: row_attr(b, job_id, "data-state") == "running", timeout=60)
    check(True, f"job {job_id} starts (running on the page)")

    # 5. Boost: the class on the page changes.
    check(row_attr(b, job_id, "data-class") == "low", "the job shows its class, low")
    b.click(f"tr[data-job-id='{job_id}'] button[data-action=boost]")
    b.click("#boost-class option[value=high]")
    b.type("#boost-minutes", "30")
    b.click("#boost-form button[type=submit]")
    b.accept_alert("preempt")
    wait_for("the boosted class", lambda: row_attr(b, job_id, "data-class") == "high", timeout=15)
    check(True, "a boost changes the job's class on the page to high")
    wait_for("progress", lambda: b.js(
        f"const r = document.querySelector('tr[data-job-id=\"{job_id}\"]');"
        "return r && /[1-9][0-9]*\\/60 epochs/.test(r.textContent)"), timeout=30)
    # Another tenant's jobs beside it: six of 12,000 MiB, of which five fit
    # (one beside job 1 on its T4, one on the other T4, three on the A100).
    research_ids = []
    for i in range(6):
        status, body = http("POST", base + "/v1/jobs", job_yaml(f"web-research-secret-{i}", "research", 12000),
                            token=ADMIN, content_type="application/yaml")
        check(status == 201, f"research job {i} is submitted through the API: {status} {body}")
        research_ids.append(body.get("id"))

    def research_states():
        jobs = http("GET", base + "/v1/jobs?tenant=research", token=ADMIN)[1]["jobs"]
        return sorted(j["state"] for j in jobs)
    wait_for("five research jobs running and one pending",
             lambda: research_states() == ["pending"] + ["running"] * 5, timeout=30)
    show(b, "fleet")
    wait_for("the jobs on the tiles", lambda: b.js("return document.querySelectorAll('.gpu-tile .job-class').length === 6"))
    check(b.js(f"return [...document.querySelectorAll('.gpu-tile .bar span[data-job-id=\"{job_id}\"]')]"
               ".map(s => s.dataset.class).join()") == "high",
          "the fleet's tile colours the boosted job by its boost class, high")
    if shots:
        b.screenshot(os.path.join(shots, "dashboard-fleet.png"))
    show(b, "queue")
    b.js("document.getElementById('submit-box').open = false")
    wait_for("the queue", lambda: row_attr(b, job_id, "data-state") and row_attr(b, research_ids[5], "data-state"))
    check("epoch" in b.js(f"return document.querySelector('tr[data-job-id=\"{job_id}\"] .since-checkpoint').textContent"),
          "a running job shows the time since its last checkpoint")
    if shots:
        b.screenshot(os.path.join(shots, "dashboard-queue.png"))

    job_page(b, job_id, check)
    preempted_job_page(b, base, check, shots and os.path.join(shots, "dashboard-job.png"))
    sla_view(b, check, shots and os.path.join(shots, "dashboard-sla.png"))
    freezes(b, check)

    # 6. Events: the decision log, filterable by kind.
    show(b, "events")
    wait_for("events", lambda: b.js("return document.querySelectorAll('#events tr[data-kind]').length > 0"))
    b.click("#events-kind option[value=boost]")
    wait_for("only boost events", lambda: b.js(
        "const k = [...document.querySelectorAll('#events tr[data-kind]')].map(r => r.dataset.kind);"
        "return k.length > 0 && k.every(x => x === 'boost')"), timeout=15)
    check(True, "the event log filters by kind")
    b.click("#events-kind option[value='']")
    wait_for("every kind again", lambda: b.js(
        "return new Set([...document.querySelectorAll('#events tr[data-kind]')].map(r => r.dataset.kind)).size > 1"))
    if shots:
        b.screenshot(os.path.join(shots, "dashboard-events.png"))

    # 7. A tenant sees its own jobs only.
    research_id = research_ids[0]
    b.click("#signout")
    sign_in(b, base, QUALITY)
    check(b.js("return document.getElementById('who').textContent") == "tenant quality", "signed in as tenant quality")
    show(b, "queue")
    wait_for("the tenant's own job", lambda: row_attr(b, job_id, "data-state"), timeout=15)
    text = b.js("return document.body.textContent")
    check(row_attr(b, research_id, "data-state") is None and "web-research-secret" not in text,
          "the quality token does not see research's job in the queue")
    show(b, "fleet")
    wait_for("the tiles", lambda: b.js(f"return document.querySelectorAll('.gpu-tile').length === {GPU_COUNT}"))
    check(b.js("return document.querySelectorAll('.gpu-tile .bar .other').length") == 3,
          "the memory research's jobs hold shows, unnamed, on the three GPUs")
    text = b.js("return document.body.textContent")
    check("web-research-secret" not in text, "nor on the fleet's tiles")
    check(b.js("return document.querySelectorAll('.node-head button').length") == 0,
          "a tenant gets no drain buttons")
    show(b, "queue")
    check(b.js("return document.getElementById('freeze-form').hidden") is True, "a tenant gets no freeze form")
    show(b, "events")
    wait_for("the tenant's events", lambda: b.js("return document.querySelectorAll('#events tr[data-kind]').length > 0"))
    text = b.js("return document.body.textContent")
    check("web-research-secret" not in text and f"job {research_id}" not in text, "nor in the event log")

    # 8. No console errors, from the first page load on.
    errors = [e for e in b.console() if e.get("level") == "SEVERE"]
    check(not errors, f"no console errors: {errors}")

    # Another tenant's job page says only that there is no such job.
    b.js(f"location.hash = '#job/{research_id}'")
    message = wait_for("the job page's refusal", lambda: b.js(
        "const e = document.querySelector('#job .error'); return e && e.textContent"), timeout=15)
    text = b.js("return document.body.textContent")
    check(message == f"no job {research_id}" and "web-research-secret" not in text,
          f"the quality token gets no page for research's job: {message!r}")
    refused_page = [e for e in b.console() if f"/v1/jobs/{research_id}" in e.get("message", "")]
    check(bool(refused_page), "its 404 shows in the console")

    show(b, "queue")
    # A refused submission shows the API's own message.
    b.click("#submit-box summary")
    b.type("#submit-yaml", "name: Bad Name\ngpus: -2\n")
    b.click("#submit-form button[type=submit]")
    message = wait_for("the refusal", lambda: b.js(
        "const r = document.getElementById('submit-result'); return r.className === 'error' && r.textContent"), timeout=15)
    status, body = http("POST", base + "/v1/jobs", "name: Bad Name\ngpus: -2\n", token=ADMIN,
                        content_type="application/yaml")
    check(status == 400 and message == body["error"]["message"],
          f"a refused submission shows the API's message: {message!r}")

    # Cancel asks for confirmation and ends the job.
    b.click(f"tr[data-job-id='{job_id}'] button[data-action=cancel]")
    b.accept_alert("Cancel job")
    wait_for("the cancelled job to leave the queue", lambda: row_attr(b, job_id, "data-state") is None, timeout=30)
    check(True, "cancel, confirmed, ends the job")
    # The refusal's 400 is the only console entry allowed after that.
    entries = b.console()
    refusals = [e for e in entries if "/v1/jobs" in e.get("message", "") and "400" in e.get("message", "")]
    check(bool(refusals), "the console log is read: it shows the refusal's 400")
    errors = [e for e in entries if e.get("level") == "SEVERE" and e not in refusals and e not in refused_page]
    check(not errors, f"no other console errors: {errors}")

    # A long queue: each list shows its first 200 jobs and counts the rest.
    for i in range(230):
        status, _ = http("POST", base + "/v1/jobs", job_yaml(f"web-quality-batch-{i}", "quality", 14000),
                         token=ADMIN, content_type="application/yaml")
        if status != 201:
            check(False, f"batch job {i} is submitted: {status}")
            break
    more = wait_for("the count of the rest", lambda: b.js(
        "const m = document.querySelector('#pending tr.more'); return m && m.textContent"), timeout=15)
    rows = b.js("return document.querySelector('#pending tr.more').closest('tbody').querySelectorAll('tr[data-job-id]').length")
    check(rows == 200 and more.startswith("and ") and more.endswith(" more"),
          f"a class with more than 200 pending jobs shows 200 rows and counts the rest: {rows}, {more!r}")

    # The submit form: a YOLO run from fields; a bad value gets the API's message.
    b.js("document.getElementById('submit-box').open = true")
    check(b.js("return document.getElementById('jf-tenant-label').hidden") is True,
          "a tenant's form has no tenant field (it submits for its own)")
    b.type("#jf-name", "web-form-job")
    b.type("#jf-model", "yolov8n.pt")
    b.type("#jf-data", "parts.yaml")
    b.type("#jf-epochs", "0")
    b.click("#job-form button[type=submit]")
    message = wait_for("the form's refusal", lambda: b.js(
        "const r = document.getElementById('submit-result'); return r.className === 'error' && r.textContent"), timeout=15)
    same = {"name": "web-form-job", "gpus": 1,
            "ultralytics": {"model": "yolov8n.pt", "data": "parts.yaml", "epochs": 0, "imgsz": 640, "batch": 16}}
    status, body = http("POST", base + "/v1/jobs", json.dumps(same), token=QUALITY)
    check(status == 400 and message == body["error"]["message"] and "epochs" in message,
          f"the form's refused job shows the API's message: {message!r}")
    b.type("#jf-epochs", "3")
    b.click("#job-form button[type=submit]")
    result = wait_for("the form's answer", lambda: (lambda t: t if t.startswith("Submitted job") else None)(
        b.js("return document.getElementById('submit-result').textContent")), timeout=15)
    form_id = int(result.split()[2])
    job = http("GET", base + f"/v1/jobs/{form_id}", token=QUALITY)[1]
    check(job["name"] == "web-form-job" and job["tenant"] == "quality" and job["progress"]["epochs_total"] == 3,
          f"the form's job is submitted as filled in: {job['name']}, {job['tenant']}, {job['progress']}")
    return 1 if failures else 0


def main():
    if len(sys.argv) != 2 or not os.access(sys.argv[1], os.X_OK):
        print("usage: dashboard_test.py path/to/gpusched", file=sys.stderr)
        return 2
    gpusched = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="gpusched-dashboard-")
    procs = Processes()
    rc = 1
    try:
        rc = run(gpusched, work, procs)
    except (Failure, OSError, KeyError, ValueError) as e:
        log(f"FAIL: {type(e).__name__}: {e}")
        for name in ("server.log", "node-a.log", "node-b.log", "chromedriver.log"):
            path = os.path.join(work, name)
            if os.path.exists(path):
                tail = open(path, errors="replace").read()[-3000:]
                log(f"--- tail of {name}:\n{tail}")
    finally:
        procs.stop_all()
        shutil.rmtree(work, ignore_errors=True)
    log("PASS" if rc == 0 else "SKIP" if rc == SKIP else "FAILED")
    return rc


if __name__ == "__main__":
    sys.exit(main())
