#!/usr/bin/env python3
"""VM health for the ApplicationHealthLinux extension 2.0 (rich health states): see docs/vm-side.md."""
import json, os, subprocess, sys, time, urllib.error, urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

config = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "/etc/slotenv/vm-health.json"))
state_dir = config.get("stateDir", "/run/slotenv")
timeout = config.get("timeoutSeconds", 2)
startup = config.get("startupSeconds", 300)
started = time.time()
answered = set()
systemctl = os.environ.get("SYSTEMCTL", "systemctl")


def unit_state(unit):
    """None when a worker's unit is active, else why not."""
    try:
        r = subprocess.run([systemctl, "show", "-p", "ActiveState", "-p", "SubState", unit], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout, text=True)
    except (OSError, subprocess.TimeoutExpired) as e:
        return "state unknown (%s)" % e
    # KEY=value lines, in systemd's order
    props = dict(line.split("=", 1) for line in r.stdout.splitlines() if "=" in line)
    active, sub = props.get("ActiveState", ""), props.get("SubState", "")
    return None if active == "active" else "is %s (%s)" % (active or "unknown", sub or "-")


def probe(check):
    """None when the instance answers 2xx on its path (a worker: its unit is active), else why not."""
    if "unit" in check:
        return unit_state(check["unit"])
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d%s" % (check["port"], check["path"]), timeout=timeout) as r:
            return None if 200 <= r.status < 300 else "answered HTTP %d on %s" % (r.status, check["path"])
    except urllib.error.HTTPError as e:
        return "answered HTTP %d on %s" % (e.code, check["path"])
    except urllib.error.URLError as e:
        return "no answer on %s (%s)" % (check["path"], e.reason)
    except OSError as e:
        return "no answer on %s within %ss (%s)" % (check["path"], timeout, e)


def step(name):
    """A start step's state from the file RETRY_SCRIPT keeps: (state, detail, when written)."""
    path = os.path.join(state_dir, name + ".state")
    try:
        with open(path) as f:
            line = f.readline().strip()
        written = os.stat(path).st_mtime
    except OSError:
        return "pending", "not started yet", None
    state, _, detail = line.partition(" ")
    return state, detail, written


def release(name):
    """What the release agent recorded for a service (running, wanted, switching, error), or {}."""
    try:
        with open(os.path.join(state_dir, name + ".release.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def evaluate():
    checks = [(svc, check) for svc in config["services"] for check in svc["checks"]]
    with ThreadPoolExecutor(max_workers=max(1, len(checks))) as pool:
        errors = list(pool.map(lambda sc: probe(sc[1]), checks))
    now = time.time()
    unhealthy, starting = [], []
    running, warnings = {}, []
    for svc in config["services"]:
        r = release(svc["service"])
        if "running" in r:
            running[svc["service"]] = r["running"]
        if r.get("error"):
            warnings.append("%s: %s" % (svc["service"], r["error"]))
        elif r.get("switching") is not None:
            warnings.append("%s: switching to %s (%s)" % (svc["service"], r.get("wanted"), "installing" if r["switching"] == "installing" else "%s@%s restarting" % (svc["service"], r["switching"])))
    for svc in config["services"]:
        # the instance the release agent is restarting is expected not to answer; the agent's wait is bounded
        switching = release(svc["service"]).get("switching")
        failing = [(check, error) for (s, check), error in zip(checks, errors) if s is svc and error and check["port"] != switching]
        for (s, check), error in zip(checks, errors):
            if s is svc and not error:
                answered.add(check["port"])
        if not failing:
            continue
        steps = [(name,) + step(name) for name in svc.get("steps", [])]
        failed = ["%s failed: %s" % (name, detail) for name, state, detail, _ in steps if state == "failed"]
        waiting = ["%s %s %s" % (name, state, detail) for name, state, detail, _ in steps if state not in ("ready", "failed")]
        if failed:
            unhealthy += failed
            continue
        if waiting:
            starting += waiting
            continue
        since = max([started] + [written for _, _, _, written in steps])
        for check, error in failing:
            instance = "%s@%d" % (svc["service"], check["port"])
            if check["port"] in answered:
                unhealthy.append("%s: %s" % (instance, error))
            elif now - since < startup:
                starting.append("%s: %s" % (instance, error))
            else:
                unhealthy.append("%s: %s; none in the %ds allowed after its start steps were ready" % (instance, error, startup))
    extra = {}
    if running:
        extra["release"] = running
    if warnings:
        extra["warning"] = "; ".join(warnings)
    if unhealthy:
        return 200, dict({"ApplicationHealthState": "Unhealthy", "reason": "; ".join(unhealthy + starting)}, **extra)
    if starting:
        return 503, dict({"reason": "starting: " + "; ".join(starting)}, **extra)
    return 200, dict({"ApplicationHealthState": "Healthy"}, **extra)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/health":
            self.send_response(404)
            self.end_headers()
            return
        status, reply = evaluate()
        body = json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


ThreadingHTTPServer((config.get("bind", "0.0.0.0"), config["port"]), Handler).serve_forever()
