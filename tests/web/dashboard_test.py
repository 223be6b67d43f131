#!/usr/bin/env python3
"""End-to-end test of the dashboard in headless Chromium.

Starts a real `gpusched server` on a free port of 127.0.0.1 with two tenant
tokens, two agents with fake GPUs, and chromedriver; drives the page through
the W3C WebDriver HTTP API (standard library only) and checks that:

  - the fleet view shows every GPU of the agents;
  - a job submitted through the form appears in the queue and starts;
  - a boost changes its class on the page;
  - a tenant token does not see another tenant's jobs;
  - the page logs no console errors.

Usage: dashboard_test.py path/to/gpusched
Exit 0: passed; 1: failed; 77: skipped (no chromium or chromedriver; Debian
packages `chromium` and `chromium-driver`). With GPUSCHED_SCREENSHOTS=DIR,
saves DIR/dashboard-{fleet,queue,events}.png.
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
  - {{name: low, value: 200, min_runtime_s: 0, grace_s: 2, save_period: 2}}
tokens:
  - {{name: ops, role: admin, token: "{ADMIN}"}}
  - {{name: quality, role: tenant, tenant: quality, token: "{QUALITY}"}}
  - {{name: research, role: tenant, tenant: research, token: "{RESEARCH}"}}
  - {{name: agents, role: agent, token: "{AGENT}"}}
server:
  lease_s: 10
  cycle_interval_ms: 200
"""


def job_yaml(name, tenant, memory_mib=None):
    # The fake trainer: 60 epochs of 1 s, long enough to watch it run.
    return (f"name: {name}\ntenant: {tenant}\nclass: low\n"
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
    if shots:
        show(b, "fleet")
        wait_for("the jobs on the tiles", lambda: b.js("return document.querySelectorAll('.gpu-tile .job-class').length === 6"))
        b.screenshot(os.path.join(shots, "dashboard-fleet.png"))
        show(b, "queue")
        b.js("document.getElementById('submit-box').open = false")
        wait_for("the queue", lambda: row_attr(b, job_id, "data-state") and row_attr(b, research_ids[5], "data-state"))
        b.screenshot(os.path.join(shots, "dashboard-queue.png"))

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
    show(b, "events")
    wait_for("the tenant's events", lambda: b.js("return document.querySelectorAll('#events tr[data-kind]').length > 0"))
    text = b.js("return document.body.textContent")
    check("web-research-secret" not in text and f"job {research_id}" not in text, "nor in the event log")

    # 8. No console errors, from the first page load on.
    errors = [e for e in b.console() if e.get("level") == "SEVERE"]
    check(not errors, f"no console errors: {errors}")

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
    errors = [e for e in entries if e.get("level") == "SEVERE" and e not in refusals]
    check(not errors, f"no other console errors: {errors}")
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
