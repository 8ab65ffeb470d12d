#!/usr/bin/env python3
"""The release agent: installs the release the VM's user data names. See docs/vm-side.md."""
import base64, json, os, subprocess, sys, tempfile, time, urllib.error, urllib.request

config = json.load(open(os.environ.get("RELEASE_AGENT_CONFIG", "/etc/slotenv/release-agent.json")))
prefix = os.environ.get("SLOTENV_PREFIX", "")
imds = os.environ.get("IMDS_ENDPOINT", "http://169.254.169.254")
systemctl = os.environ.get("SYSTEMCTL", "systemctl")
state_dir = prefix + config["stateDir"]
PERMANENT = 65


class Transient(Exception):
    pass


class Refused(Exception):
    pass


def log(message):
    print("release-agent: " + message, file=sys.stderr, flush=True)


def user_data():
    """The releases the user data names: service -> {"version", "artifact"?: {"url", "sha256"}}."""
    url = imds + "/metadata/instance/compute/userData?api-version=2021-01-01&format=text"
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers={"Metadata": "true"}), timeout=10) as r:
            text = r.read()
    except (urllib.error.URLError, OSError) as e:
        raise Transient("no user data from the instance metadata service (%s)" % e)
    try:
        doc = json.loads(base64.b64decode(b"".join(text.split()), validate=True))
        services = doc["services"]
        if not isinstance(services, dict):
            raise TypeError("services is not an object")
        return services
    except (ValueError, KeyError, TypeError) as e:
        raise Transient("the user data is not a release document (%s)" % e)


def same(release):
    return [release["version"], (release.get("artifact") or {}).get("sha256")]


def write_atomic(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "w") as out:
        out.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def read_state(service):
    try:
        with open(os.path.join(state_dir, service + ".release.json")) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def write_state(service, state):
    write_atomic(os.path.join(state_dir, service + ".release.json"), json.dumps(state, sort_keys=True) + "\n")


def write_version(service, version):
    write_atomic(os.path.join(state_dir, service + ".version.env"), 'VERSION="%s"\n' % version)


def current(service):
    return prefix + "/opt/%s/current" % service


def install(service, release):
    """Puts the release in place (current points at it) and its version in the env file."""
    artifact = release.get("artifact")
    if artifact:
        p = subprocess.run(["sh", config["fetch"], service, release["version"], artifact["url"], artifact["sha256"], config["identity"]], stderr=subprocess.PIPE, universal_newlines=True)
        sys.stderr.write(p.stderr)
        last = ([line for line in p.stderr.splitlines() if line.strip()] or ["fetch-release exit %d" % p.returncode])[-1]
        if p.returncode == PERMANENT:
            raise Refused(last)
        if p.returncode != 0:
            raise Transient(last)
    write_version(service, release["version"])


def boot(service):
    try:
        release = user_data().get(service)
        if release is None:
            raise Transient("the user data names no release for %s" % service)
        install(service, release)
    except Refused as e:
        print(e, file=sys.stderr)
        return PERMANENT
    except Transient as e:
        print(e, file=sys.stderr)
        return 1
    write_state(service, {"running": release["version"], "release": same(release)})
    log("%s %s installed at boot" % (service, release["version"]))
    return 0


def answers(port, path):
    """None once the instance answers 2xx on its health path, else why not (after startupSeconds)."""
    deadline = time.time() + config.get("startupSeconds", 300)
    error = "no answer"
    while True:
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d%s" % (port, path), timeout=2) as r:
                if 200 <= r.status < 300:
                    return None
                error = "answered HTTP %d on %s" % (r.status, path)
        except urllib.error.HTTPError as e:
            error = "answered HTTP %d on %s" % (e.code, path)
        except (urllib.error.URLError, OSError) as e:
            error = "no answer on %s (%s)" % (path, getattr(e, "reason", e))
        if time.time() >= deadline:
            return "%s after %ds" % (error, config.get("startupSeconds", 300))
        time.sleep(0.5)


def running(service, port):
    """A worker's instance (no port to ask): None once its unit is active and still is, not restarted, settleSeconds later; else why not."""
    unit = "%s@%d.service" % (service, port)
    deadline = time.time() + config.get("startupSeconds", 300)

    def show():
        p = subprocess.run([systemctl, "show", "-p", "ActiveState", "-p", "SubState", "-p", "NRestarts", unit], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, universal_newlines=True)
        return dict(line.split("=", 1) for line in p.stdout.splitlines() if "=" in line)

    while True:
        first = show()
        if first.get("ActiveState") == "active":
            # a crashing instance is active for a moment between restarts (Restart=always): it must stay up
            time.sleep(config.get("settleSeconds", 10))
            later = show()
            if later.get("ActiveState") == "active" and later.get("NRestarts") == first.get("NRestarts"):
                return None
            first = later
        if time.time() >= deadline:
            return "is %s (%s) after %ds" % (first.get("ActiveState") or "unknown", first.get("SubState") or "-", config.get("startupSeconds", 300))
        time.sleep(0.5)


def restart(service, port):
    p = subprocess.run([systemctl, "restart", "%s@%d.service" % (service, port)], stderr=subprocess.PIPE, universal_newlines=True)
    return None if p.returncode == 0 else "systemctl restart failed (%s)" % p.stderr.strip()


def switch(svc, state, release):
    service, old, new = svc["service"], state["running"], release["version"]
    link = current(service)
    # what to roll back to: the old release's folder (the fetcher's), even when a switch was cut short
    kept = prefix + "/opt/%s/releases/%s" % (service, old)
    previous = kept if os.path.isdir(kept) else (os.readlink(link) if os.path.islink(link) else None)
    base = {"running": old, "release": state["release"], "wanted": new}
    write_state(service, dict(base, switching="installing"))
    try:
        install(service, release)
    except Refused as e:
        write_state(service, dict(base, refused=same(release), error="%s refused: %s; %s keeps running" % (new, e, old)))
        log("%s: %s refused (%s); %s keeps running" % (service, new, e, old))
        return 1
    except Transient as e:
        write_state(service, dict(base, error="%s not installed yet: %s; %s keeps running, tried again on the next poll" % (new, e, old)))
        return 1
    done = []
    for port in sorted(svc["ports"]):
        write_state(service, dict(base, switching=port))
        log("%s@%d: restarting on %s" % (service, port, new))
        error = restart(service, port) or (running(service, port) if svc.get("worker") else answers(port, svc["healthPath"]))
        done.append(port)
        if error:
            if previous is not None:
                tmp = link + ".rollback"
                if os.path.lexists(tmp):
                    os.remove(tmp)
                os.symlink(previous, tmp)
                os.replace(tmp, link)
            write_version(service, old)
            for p in done:
                restart(service, p)
            message = "%s rolled back: %s@%d %s; %s keeps running" % (new, service, port, error, old)
            write_state(service, dict(base, refused=same(release), error=message))
            log("%s: %s" % (service, message))
            return 1
    write_state(service, {"running": new, "release": same(release)})
    log("%s: every instance runs %s" % (service, new))
    return 0


def sync():
    try:
        releases = user_data()
    except Transient as e:
        log(str(e))
        return 1
    status = 0
    for svc in config["services"]:
        service = svc["service"]
        state = read_state(service)
        release = releases.get(service)
        # before the boot step installed a release, it owns the first install
        if "running" not in state or release is None:
            continue
        if same(release) == state.get("release"):
            if len(state) > 2:
                write_state(service, {"running": state["running"], "release": state["release"]})
            continue
        if state.get("refused") == same(release):
            continue
        status = max(status, switch(svc, state, release))
    return status


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "boot" and len(sys.argv) == 3:
        sys.exit(boot(sys.argv[2]))
    if command == "sync":
        sys.exit(sync())
    if command == "watch":
        while True:
            sync()
            time.sleep(config.get("pollSeconds", 30))
    print("usage: release-agent boot SERVICE | sync | watch", file=sys.stderr)
    sys.exit(2)
