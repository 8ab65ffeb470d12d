#!/usr/bin/env python3
"""The drain agent: takes this VM out of its load balancer before Azure deletes or reboots it.

It polls Azure's Scheduled Events (IMDS). On a Terminate, Preempt, Reboot or Redeploy event that
names this VM it: turns the drain switch on (service VMs: new TCP connections from the load
balancer's probe address to the instance ports are refused, so every per-port probe fails; front
VMs: nginx's /healthz answers 503 and every response carries Connection: close), waits until the
load balancer has seen the probes fail (interval x threshold, plus a margin), waits until the
ports hold no established connection, on the front (Terminate, Preempt) stops nginx gracefully
and on a VM with queue workers stops their instances (each finishes the messages in hand), then
approves the event. Every wait ends at NotBefore minus a margin, when it approves anyway.
An event that names other VMs too is drained but not approved: an approval lets the event go
ahead for every VM it names. See docs/vm-side.md.

Usage: drain watch | drain once | drain fence on|off. DRAIN_CONFIG, IMDS_ENDPOINT and IPTABLES
exist for tests.
"""
import email.utils, json, os, subprocess, sys, tempfile, time, urllib.error, urllib.request

config = json.load(open(os.environ.get("DRAIN_CONFIG", "/etc/slotenv/drain.json")))
imds = os.environ.get("IMDS_ENDPOINT", "http://169.254.169.254")
iptables = os.environ.get("IPTABLES", "iptables")
EVENTS = imds + "/metadata/scheduledevents?api-version=2020-07-01"
NAME = imds + "/metadata/instance/compute/name?api-version=2021-02-01&format=text"
DRAINED = ("Terminate", "Preempt", "Reboot", "Redeploy")
STOPPED = ("Terminate", "Preempt")
poll = config.get("pollSeconds", 1)
state_file = config["stateFile"]


def log(message):
    print("drain: " + message, file=sys.stderr, flush=True)


def call(url, data=None, method=None):
    headers = {"Metadata": "true"}
    if data is not None:
        headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read()


def events():
    """The scheduled events document, or None when IMDS does not answer."""
    try:
        doc = json.loads(call(EVENTS))
        if not isinstance(doc.get("Events"), list):
            raise ValueError("no Events list")
        return doc
    except (urllib.error.URLError, OSError, ValueError) as e:
        log("no scheduled events document (%s)" % e)
        return None


def vm_name():
    while True:
        try:
            return call(NAME).decode().strip()
        except (urllib.error.URLError, OSError) as e:
            log("no VM name from IMDS yet (%s)" % e)
            time.sleep(poll)


def read_state():
    try:
        with open(state_file) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def write_state(state):
    os.makedirs(os.path.dirname(state_file), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(state_file))
    with os.fdopen(fd, "w") as out:
        out.write(json.dumps(state, sort_keys=True) + "\n")
    os.chmod(tmp, 0o644)
    os.replace(tmp, state_file)


def fence(on):
    """Service VMs: refuse (TCP reset) new connections from the probe address to every port.

    Without a working iptables (not installed on the image, or refused) the drain goes on without
    the fence, saying so: it still waits for connections and approves, instead of failing (and
    restarting) until Azure goes ahead at NotBefore anyway.
    """
    try:
        for port in config["ports"]:
            rule = ["INPUT", "-p", "tcp", "--syn", "-s", config["probeSource"], "--dport", str(port), "-j", "REJECT", "--reject-with", "tcp-reset"]
            present = subprocess.run([iptables, "-C"] + rule, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0
            if on and not present:
                subprocess.run([iptables, "-I"] + rule, check=True)
            elif not on and present:
                subprocess.run([iptables, "-D"] + rule, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        log("cannot %s the fence (%s): the load balancer's probes still pass, so new connections keep arriving until Azure takes the VM out" % ("raise" if on else "lower", e))


def switch(on):
    """Turn the drain switch the load balancer's probes see on or off."""
    if config["mode"] == "front":
        call(config["adminUrl"], data=b"", method="PUT" if on else "DELETE")
    else:
        fence(on)


def connections():
    """Established TCP connections to the ports, not counting peers in ignorePeers."""
    ports = set(config["ports"])
    ignored = set(config.get("ignorePeers", []))
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.readlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, remote, st = fields[1], fields[2], fields[3]
            if st != "01" or int(local.rsplit(":", 1)[1], 16) not in ports:
                continue
            if peer(remote.rsplit(":", 1)[0]) in ignored:
                continue
            count += 1
    return count


def peer(hex_address):
    """A /proc/net/tcp address as dotted IPv4 (IPv4-mapped IPv6 too), else the hex as given."""
    if len(hex_address) == 32 and hex_address[:24] == "0000000000000000FFFF0000":
        hex_address = hex_address[24:]
    if len(hex_address) != 8:
        return hex_address
    raw = bytes.fromhex(hex_address)[::-1]
    return ".".join(str(b) for b in raw)


def deadline_of(event):
    nb = event.get("NotBefore") or ""
    if not nb:
        return time.time()
    return email.utils.parsedate_to_datetime(nb).timestamp() - config.get("approveMarginSeconds", 10)


def pending(event_id):
    """True while the event is still in the document (None: IMDS did not answer, so assume so)."""
    doc = events()
    return doc is None or any(e.get("EventId") == event_id for e in doc["Events"])


def wait(until, done, event_id):
    """Wait until done() or the time `until`; False when the event left the document meanwhile."""
    while not done() and time.time() < until:
        if not pending(event_id):
            return False
        time.sleep(poll)
    return True


def approve(event_id):
    call(EVENTS, data=json.dumps({"StartRequests": [{"EventId": event_id}]}).encode(), method="POST")


def drain(event, name, state):
    eid, kind = event["EventId"], event["EventType"]
    deadline = deadline_of(event)
    record = {"event": eid, "type": kind, "phase": "draining", "notBefore": event.get("NotBefore", "")}
    state["current"] = record
    write_state(state)
    log("%s %s for %s (not before %s): draining" % (kind, eid, name, event.get("NotBefore")))
    switch(True)
    lb_until = min(deadline, time.time() + config.get("lbSeconds", 15))
    record["phase"] = "waiting for the load balancer"
    write_state(state)
    gone = not wait(lb_until, lambda: False, eid)
    if not gone:
        record["phase"] = "waiting for connections"
        write_state(state)
        gone = not wait(deadline, lambda: connections() == 0, eid)
    if gone:
        log("%s %s left the document before its start: undrained" % (kind, eid))
        switch(False)
        state["current"] = None
        state.setdefault("cancelled", []).append(eid)
        write_state(state)
        return
    left = connections()
    if left:
        log("%d connection(s) still open at the deadline; going on" % left)
    if kind in STOPPED and config.get("stop"):
        # front: nginx quits; workers: finish held messages (TimeoutStopSec), so no lock expires
        record["phase"] = "stopping " + config.get("stopWhat", "nginx")
        write_state(state)
        for command in config["stop"]:
            try:
                subprocess.run(command, timeout=max(1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                log("%s did not end by the deadline; going on" % " ".join(command))
            except OSError as e:
                log("cannot run %s (%s); going on" % (" ".join(command), e))
        pid = config.get("stopPidFile")
        if pid:
            wait(deadline, lambda: not os.path.exists(pid), eid)
    others = [r for r in event.get("Resources", []) if r != name]
    if others:
        record["phase"] = "drained; not approving (the event also names %s)" % ", ".join(sorted(others))
        log(record["phase"])
    else:
        approve(eid)
        record["phase"] = "approved"
        state.setdefault("approved", []).append(eid)
        log("%s %s approved" % (kind, eid))
    state["drained"] = eid
    write_state(state)


def once(name, state, last):
    """One look at the document; returns its incarnation."""
    doc = events()
    if doc is None:
        return last
    incarnation = doc.get("DocumentIncarnation")
    ids = set(e.get("EventId") for e in doc["Events"])
    # a Reboot or Redeploy that left the document without taking the VM down (a freeze instead)
    if state.get("drained") and state["drained"] not in ids and state.get("current", {}) and state["current"].get("type") not in STOPPED:
        log("%s left the document and this VM still runs: undrained" % state["drained"])
        switch(False)
        state["drained"] = None
        state["current"] = None
        write_state(state)
    if incarnation == last:
        return last
    handled = set(state.get("approved", [])) | set(state.get("cancelled", [])) | set([state.get("drained")])
    for event in doc["Events"]:
        if name not in event.get("Resources", []) or event.get("EventId") in handled:
            continue
        if event.get("EventType") not in DRAINED:
            log("%s %s: nothing to do" % (event.get("EventType"), event.get("EventId")))
            continue
        if event.get("EventStatus") != "Scheduled":
            log("%s %s has started already: nothing to approve" % (event.get("EventType"), event.get("EventId")))
            continue
        drain(event, name, state)
    return incarnation


if __name__ == "__main__":
    command = sys.argv[1:]
    if command in (["fence", "on"], ["fence", "off"]):
        fence(command[1] == "on")
        sys.exit(0)
    if command not in (["watch"], ["once"]):
        print("usage: drain watch | drain once | drain fence on|off", file=sys.stderr)
        sys.exit(2)
    me = vm_name()
    st = read_state()
    seen = st.get("incarnation")
    while True:
        seen = once(me, st, seen)
        if seen is not None and st.get("incarnation") != seen:
            st["incarnation"] = seen
            write_state(st)
        if command == ["once"]:
            sys.exit(0)
        time.sleep(poll)
