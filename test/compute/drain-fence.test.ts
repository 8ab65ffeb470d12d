/**
 * The service VM's drain switch, with the real iptables (Debian's `iptables`, nf_tables backend)
 * in a network namespace of its own (`unshare -n`: only a loopback, so the machine's own rules are
 * never touched). `drain fence on` must make what Azure's load balancer probe does fail (a new
 * connection from the probe address to an instance port gets a TCP reset: the HTTP probe marks the
 * instance down on a reset, Azure's load balancer docs), while a connection already established
 * (a request in flight through the balancer) goes on and other callers still connect. 127.0.0.2
 * stands for the probe address (168.63.129.16 on Azure). Needs root and iptables
 * (scripts/install-test-tools.sh).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers';
import { vmProgram } from '../support/vm-programs';

const SCENARIO = `
import json, socket, subprocess, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "3")
        self.end_headers()
        self.wfile.write(b"ok\\n")
    def log_message(self, *a):
        pass

server = ThreadingHTTPServer(("0.0.0.0", 10000), H)
threading.Thread(target=server.serve_forever, daemon=True).start()

def connect(source):
    s = socket.create_connection(("127.0.0.1", 10000), timeout=2, source_address=(source, 0))
    return s

def ask(s):
    # the whole response, however the server's writes arrive: the headers, then Content-Length bytes
    s.sendall(b"GET /health HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n")
    data = b""
    while b"\\r\\n\\r\\n" not in data:
        chunk = s.recv(1024)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\\r\\n\\r\\n")
    length = next((int(l.split(b":")[1]) for l in head.split(b"\\r\\n") if l.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = s.recv(1024)
        if not chunk:
            break
        body += chunk
    return head.split(b"\\r\\n")[0].decode()

def fresh(source):
    try:
        s = connect(source)
        line = ask(s)
        s.close()
        return line
    except OSError as e:
        return type(e).__name__

def fence(arg):
    return subprocess.run([sys.executable, sys.argv[1], "fence", arg]).returncode

out = {}
out["probe before"] = fresh("127.0.0.2")
kept = connect("127.0.0.3")
out["kept before"] = ask(kept)
kept_probe = connect("127.0.0.2")
out["fence on"] = fence("on")
out["fence on again"] = fence("on")
out["rules"] = subprocess.run(["iptables", "-S", "INPUT"], capture_output=True, text=True).stdout.strip().splitlines()
out["probe while fenced"] = fresh("127.0.0.2")
out["caller while fenced"] = fresh("127.0.0.3")
out["kept while fenced"] = ask(kept)
out["established probe-source connection while fenced"] = ask(kept_probe)
out["fence off"] = fence("off")
out["rules after"] = subprocess.run(["iptables", "-S", "INPUT"], capture_output=True, text=True).stdout.strip().splitlines()
out["probe after"] = fresh("127.0.0.2")
print(json.dumps(out))
`;

test('drain fence on: the probe address gets a reset on a new connection; established connections and other callers go on; off restores it', () => {
  const dir = tempDir('drain-fence-');
  const config = join(dir, 'drain.json');
  writeFileSync(config, JSON.stringify({ mode: 'service', ports: [10000], stateFile: join(dir, 'state.json'), probeSource: '127.0.0.2' }));
  writeFileSync(join(dir, 'scenario.py'), SCENARIO);
  const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec python3 "$0" "$1"', join(dir, 'scenario.py'), vmProgram('service', 'drain.py')], { env: { ...process.env, DRAIN_CONFIG: config }, encoding: 'utf8', timeout: 30_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const rule = '-A INPUT -s 127.0.0.2/32 -p tcp -m tcp --dport 10000 --tcp-flags FIN,SYN,RST,ACK SYN -j REJECT --reject-with tcp-reset';
  expect(JSON.parse(r.stdout)).toEqual({
    'probe before': 'HTTP/1.1 200 OK',
    'kept before': 'HTTP/1.1 200 OK',
    'fence on': 0,
    'fence on again': 0,
    rules: ['-P INPUT ACCEPT', rule],
    'probe while fenced': 'ConnectionRefusedError',
    'caller while fenced': 'HTTP/1.1 200 OK',
    'kept while fenced': 'HTTP/1.1 200 OK',
    'established probe-source connection while fenced': 'HTTP/1.1 200 OK',
    'fence off': 0,
    'rules after': ['-P INPUT ACCEPT'],
    'probe after': 'HTTP/1.1 200 OK',
  });
});
