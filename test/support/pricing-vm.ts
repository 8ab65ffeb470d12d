/**
 * The example's pricing service VMs (either slot) as the boot tests run them: a slot's rendered
 * custom data and user data from a fresh synth, and the release archive the stub store serves in
 * place of the example's (test/boot/service-vm.test.ts boots blue alone, test/boot/front-vm.test.ts
 * boots both slots behind the front).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AzureStubs } from './azure-stubs';
import { tempDir, exampleStacks } from '../helpers';
import { decodeCustomData } from '../../lib/compute/scale-set';

const STACK = 'retail-svc-pricing';
/** The vault's secret the release's /health wants (DB_PASSWORD). */
export const SECRET = 'pa55-w0rd "quoted"';

/**
 * The release archive the stub store serves: bin/start answers on $PORT (on `bind`: loopback when
 * the VM shares the host's network, every address when a load balancer reaches it on its NIC), 200
 * on /health only with the vault's secret; /slow?ms=N answers after N ms (a request in flight). With
 * CERTS_DIR set (a service with certificates) the reply has each certificate file's SHA-256, as the
 * instance's user reads it.
 */
export function release(bind = '127.0.0.1'): { tarball: Buffer; sha: string } {
  const dir = tempDir('ase-boot-release-');
  try {
    mkdirSync(join(dir, 'bin'));
    writeFileSync(
      join(dir, 'bin', 'start'),
      `#!/usr/bin/python3
import hashlib, http.server, json, os, time, urllib.parse
want = ${JSON.stringify(SECRET)}
class H(http.server.BaseHTTPRequestHandler):
    # keep-alive, as a service behind the load balancer answers
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if u.path == "/slow":
            time.sleep(int(urllib.parse.parse_qs(u.query).get("ms", ["0"])[0]) / 1000)
        ok = os.environ.get("DB_PASSWORD") == want
        reply = {"port": os.environ["PORT"], "version": os.environ.get("VERSION"), "slot": os.environ.get("SLOT"), "secret": ok}
        certs = os.environ.get("CERTS_DIR")
        if certs:
            # what the instance can read of its certificates: each file's SHA-256
            reply["certs"] = {n: hashlib.sha256(open(os.path.join(certs, n), "rb").read()).hexdigest() for n in sorted(os.listdir(certs))}
        body = json.dumps(reply).encode()
        self.send_response(200 if ok or self.path != "/health" else 500)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer((${JSON.stringify(bind)}, int(os.environ["PORT"])), H).serve_forever()
`,
    );
    chmodSync(join(dir, 'bin', 'start'), 0o755);
    const tarball = execFileSync('tar', ['-czf', '-', '-C', dir, 'bin']);
    return { tarball, sha: createHash('sha256').update(tarball).digest('hex') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Example {
  customData: string;
  userData: { slot: string; services: Record<string, { version: string; artifact: { url: string; sha256: string } }> };
  identity: string;
  vault: string;
}

/** A slot of the example's pricing service: its scale set's custom data, user data, identity and vault. */
export function pricingExample(slot: 'blue' | 'green' = 'blue', stacks: Record<string, string> = exampleStacks()): Example {
  const stack = JSON.parse(stacks[STACK]);
  const ss = stack.resource.azurerm_linux_virtual_machine_scale_set[`${slot}_scale-set_vmss`];
  const customData = decodeCustomData(ss.custom_data);
  const vault = /fetch-secrets pricing (\S+) /.exec(customData)?.[1];
  if (!vault) throw new Error('no fetch-secrets line in the custom data');
  return { customData, userData: JSON.parse(Buffer.from(ss.user_data, 'base64').toString('utf8')), identity: ss.identity.identity_ids[0], vault };
}

/**
 * The stub IMDS's user data: the synthesized release document, its artifact on the stub store (and,
 * unless told, the test archive's SHA-256). `base`: the stub's address as the VM reaches it
 * (default its loopback URL; `http://169.254.169.254` in a private network).
 */
export function servedUserData(ex: Example, stubs: AzureStubs, sha?: string, base = stubs.imds): string {
  const doc = structuredClone(ex.userData);
  for (const s of Object.values(doc.services)) {
    s.artifact.url = base + stubs.blobUrl(s.artifact.url).slice(stubs.imds.length);
    if (sha) s.artifact.sha256 = sha;
  }
  return JSON.stringify(doc, null, 2) + '\n';
}

