/**
 * The cloud-init document of a slot's VMs (pure; no cdktf). For each service on the VM (one, or
 * several on a node pool) it installs one systemd unit instance per planned port
 * (`<service>@<port>`), each given PORT, the slot's version and the service's settings, and a
 * oneshot unit that downloads the release with the VM's managed identity and refuses it when its
 * SHA-256 differs; and once per VM the health endpoint on VM_HEALTH_PORT, which answers 200 only
 * when every planned port of every service answers on its service's health path. The same port list feeds the load
 * balancer, the NSG rules and the front: one source of truth.
 *
 * Secrets never appear here: custom data is readable by anyone who can read the scale set.
 */
import { stringify } from 'yaml';
import { VM_HEALTH_PORT } from '../spec/constants';
import { keyVaultCertificatePath } from '../vault/vm-extension';
import type { EnvironmentPlan } from '../spec/plan';
import type { Service, SlotName } from '../spec/schema';

/** One service on the VM. */
export interface ServiceBoot {
  /** The service's name: its units, user and folders are named after it. */
  readonly service: string;
  /** The release version the slot runs, given to every instance as VERSION. */
  readonly version: string;
  /** Planned ports of the service on each VM; one unit instance each. */
  readonly ports: readonly number[];
  /** The path every instance answers 200 on when healthy. */
  readonly healthPath: string;
  /** Environment variables for every instance (not secrets). */
  readonly settings: Readonly<Record<string, string>>;
  /** Environment variables from Key Vault secrets: variable → secret name. @default - none */
  readonly secrets?: Readonly<Record<string, string>>;
  /** The vault the secrets and certificates are in (its name). Required with either. */
  readonly vaultName?: string;
  /** Key Vault certificates the service reads, by name. @default - none */
  readonly certificates?: readonly string[];
  /** The release to download; absent when the image holds /opt/<service>/current/bin/start. */
  readonly artifact?: {
    /** A blob URL in the artifact store (fetched with the VM's identity). */
    readonly url: string;
    /** The archive's SHA-256, hex; a different file is refused. */
    readonly sha256: string;
  };
}

/** A slot's VMs: one service, or several on a node pool, each on its own planned ports. */
export interface CloudInitInput {
  /** The slot's name ('blue' or 'green'), given to every instance as SLOT. */
  readonly slot: string;
  /** The services on the VMs. */
  readonly services: readonly ServiceBoot[];
  /**
   * Resource ID of the VM's user-assigned identity: static (built from names), so custom data
   * holds no Terraform reference and is computed at synth.
   */
  readonly identityResourceId: string;
}

/** Where things live on a VM. */
export const VM_PATHS = {
  lib: '/usr/local/lib/slotenv',
  fetch: '/usr/local/lib/slotenv/fetch-release',
  health: '/usr/local/lib/slotenv/vm-health.py',
  healthConfig: '/etc/slotenv/vm-health.json',
  releaseEnv: (service: string) => `/etc/${service}/release.env`,
  secrets: '/usr/local/lib/slotenv/fetch-secrets',
  /** Which secret each variable comes from (names only, no values). */
  secretsList: (service: string) => `/etc/${service}/secrets.list`,
  /** The fetched values: root's only, read by systemd for the unit (the service's own user cannot read it). */
  secretsEnv: (service: string) => `/run/slotenv-secrets/${service}.env`,
  certs: '/usr/local/lib/slotenv/publish-certs',
  certsDir: (service: string) => `/etc/${service}/certs`,
  /** Where the Key Vault extension writes a certificate. */
  keyVaultCert: keyVaultCertificatePath,
  start: (service: string) => `/opt/${service}/current/bin/start`,
} as const;

/** The systemd units of one service. */
export const unitNames = (service: string) => ({
  instance: `${service}@.service`,
  instanceOf: (port: number) => `${service}@${port}.service`,
  release: `${service}-release.service`,
  secrets: `${service}-secrets.service`,
  certs: `${service}-certs.service`,
  certsPath: `${service}-certs.path`,
});

/**
 * Publishes the Key Vault extension's certificate files (root's) to `/etc/<service>/certs/<name>.pem`,
 * readable by the service's group, each replaced whole. Run when an instance starts (it waits, up
 * to ten minutes, for the extension's first sync) and by a path unit whenever the extension
 * writes a renewal. SLOTENV_PREFIX and WAIT_SECONDS exist for tests.
 */
export const CERTS_SCRIPT = `#!/bin/sh
# Usage: publish-certs SERVICE DIR SOURCE NAME [SOURCE NAME ...]
set -eu
service="$1"; shift
prefix="\${SLOTENV_PREFIX:-}"
dir="$prefix$1"; shift
wait="\${WAIT_SECONDS:-600}"
mkdir -p "$dir"; chmod 0750 "$dir"; chgrp "$service" "$dir"
while [ $# -ge 2 ]; do
  source="$prefix$1"; name="$2"; shift 2
  waited=0
  until [ -s "$source" ]; do
    [ "$waited" -ge "$wait" ] && { echo "publish-certs: $service: no certificate at $source after \${wait}s (Key Vault extension)" >&2; exit 1; }
    sleep 2; waited=$((waited + 2))
  done
  cmp -s "$source" "$dir/$name.pem" && continue
  install -m 0640 -o root -g "$service" "$source" "$dir/.$name.pem.new"
  mv "$dir/.$name.pem.new" "$dir/$name.pem"
  echo "publish-certs: $service: $name published"
done
`;


/**
 * Fetches a service's Key Vault secrets with the VM's managed identity into an environment file
 * only root can read (systemd reads it for the unit; the service's own user cannot). Run by the
 * `<service>-secrets` oneshot each time an instance starts, so a rotated secret arrives with the
 * next restart. Values must be one line. IMDS_ENDPOINT, VAULT_URL and SLOTENV_PREFIX exist so
 * tests can run it against loopback and a temp folder.
 */
export const SECRETS_SCRIPT = `#!/usr/bin/env python3
# Usage: fetch-secrets SERVICE VAULT_NAME IDENTITY_RESOURCE_ID SECRETS_LIST ENV_FILE
import json, os, sys, tempfile, urllib.error, urllib.parse, urllib.request

service, vault, identity, secrets_list, env_file = sys.argv[1:6]
prefix = os.environ.get("SLOTENV_PREFIX", "")
imds = os.environ.get("IMDS_ENDPOINT", "http://169.254.169.254")
base = os.environ.get("VAULT_URL", "https://%s.vault.azure.net" % vault)


def fail(message):
    print("fetch-secrets: %s: %s" % (service, message), file=sys.stderr)
    sys.exit(1)


def get(url, headers):
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as r:
        return json.load(r)


query = urllib.parse.urlencode({"api-version": "2018-02-01", "resource": "https://vault.azure.net", "msi_res_id": identity})
try:
    token = get("%s/metadata/identity/oauth2/token?%s" % (imds, query), {"Metadata": "true"})["access_token"]
except (urllib.error.URLError, KeyError, ValueError) as e:
    fail("no token from the managed identity (%s)" % e)

lines = []
with open(prefix + secrets_list) as f:
    for entry in f.read().splitlines():
        if not entry.strip():
            continue
        variable, name = entry.split()
        try:
            value = get("%s/secrets/%s?api-version=7.4" % (base, name), {"Authorization": "Bearer " + token})["value"]
        except urllib.error.HTTPError as e:
            fail("secret %s (for %s): HTTP %d from the vault" % (name, variable, e.code))
        except (urllib.error.URLError, KeyError, ValueError) as e:
            fail("secret %s (for %s): %s" % (name, variable, e))
        if "\\n" in value or "\\r" in value:
            fail("secret %s (for %s) has more than one line; an environment variable holds one" % (name, variable))
        lines.append('%s="%s"' % (variable, value.replace("\\\\", "\\\\\\\\").replace('"', '\\\\"')))

target = prefix + env_file
os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
fd, tmp = tempfile.mkstemp(dir=os.path.dirname(target))
with os.fdopen(fd, "w") as out:
    out.write("\\n".join(lines) + "\\n")
os.chmod(tmp, 0o600)
os.replace(tmp, target)
print("fetch-secrets: %s: %d secret(s) in place" % (service, len(lines)))
`;


/** The VM health endpoint's unit: one per VM, whatever services it runs. */
export const HEALTH_UNIT = 'vm-health.service';

/**
 * Downloads a release with the VM's managed identity, verifies it and points `current` at it.
 * IMDS_ENDPOINT and SLOTENV_PREFIX exist so tests can run it against loopback and a temp folder.
 */
export const FETCH_SCRIPT = `#!/bin/sh
# Usage: fetch-release SERVICE VERSION URL SHA256 IDENTITY_RESOURCE_ID
set -eu
service="$1"; version="$2"; url="$3"; sha256="$4"; identity="$5"
prefix="\${SLOTENV_PREFIX:-}"
imds="\${IMDS_ENDPOINT:-http://169.254.169.254}"
releases="$prefix/opt/$service/releases"
target="$releases/$version"
if [ -x "$target/bin/start" ] && [ "$(cat "$target/.sha256" 2>/dev/null)" = "$sha256" ]; then
  ln -sfn "$target" "$prefix/opt/$service/current"; exit 0
fi
token=$(curl -sf --connect-timeout 5 --max-time 30 --retry 5 --retry-delay 2 -H Metadata:true \\
  "$imds/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https%3A%2F%2Fstorage.azure.com%2F&msi_res_id=$identity" \\
  | sed -n 's/.*"access_token": *"\\([^"]*\\)".*/\\1/p')
[ -n "$token" ] || { echo "fetch-release: no token from the managed identity" >&2; exit 1; }
mkdir -p "$releases"
tmp=$(mktemp "$releases/.download.XXXXXX")
trap 'rm -f "$tmp"' EXIT
curl -sf --connect-timeout 5 --max-time 600 --retry 5 --retry-delay 2 -H "Authorization: Bearer $token" -H "x-ms-version: 2020-04-08" -o "$tmp" "$url"
actual=$(sha256sum "$tmp" | cut -d' ' -f1)
if [ "$actual" != "$sha256" ]; then
  echo "fetch-release: $url has sha256 $actual, expected $sha256; refusing it" >&2; exit 1
fi
rm -rf "$target.new"; mkdir -p "$target.new"
tar -xzf "$tmp" -C "$target.new"
[ -x "$target.new/bin/start" ] || { echo "fetch-release: $url has no executable bin/start" >&2; rm -rf "$target.new"; exit 1; }
echo "$sha256" > "$target.new/.sha256"
rm -rf "$target"; mv "$target.new" "$target"
ln -sfn "$target" "$prefix/opt/$service/current"
echo "fetch-release: $service $version installed"
`;

/** The VM health endpoint: 200 when every check (a port and its path) answers 2xx, else 503. */
export const HEALTH_SCRIPT = `#!/usr/bin/env python3
"""VM health: GET /health answers 200 only when every planned instance answers its health path."""
import json, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

config = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "${VM_PATHS.healthConfig}"))

def probe(check):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{check['port']}{check['path']}", timeout=config.get("timeoutSeconds", 2)) as r:
            return check["port"], 200 <= r.status < 300
    except Exception:
        return check["port"], False

class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/health":
            self.send_response(404); self.end_headers(); return
        with ThreadPoolExecutor(max_workers=len(config["checks"])) as pool:
            results = dict(pool.map(probe, config["checks"]))
        failing = sorted(p for p, ok in results.items() if not ok)
        body = json.dumps({"healthy": not failing, "failing": failing}).encode()
        self.send_response(503 if failing else 200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *args):
        pass

ThreadingHTTPServer((config.get("bind", "0.0.0.0"), config["port"]), Handler).serve_forever()
`;

/** systemd EnvironmentFile syntax: KEY="value" with \\, " and $ escaped. */
const envLine = (key: string, value: string) => `${key}="${value.replace(/[\\"$`]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;

/** The units of one service (its instance template and release unit). */
export function renderServiceUnits(input: ServiceBoot & { readonly slot: string; readonly identityResourceId: string }): Record<string, string> {
  const u = unitNames(input.service);
  const needsRelease = input.artifact !== undefined;
  const needsSecrets = Object.keys(input.secrets ?? {}).length > 0;
  const certs = [...(input.certificates ?? [])].sort();
  const before = [...(needsRelease ? [u.release] : []), ...(needsSecrets ? [u.secrets] : []), ...(certs.length > 0 ? [u.certs] : [])];
  const units: Record<string, string> = {};
  units[u.instance] = [
    '[Unit]',
    `Description=${input.service} (${input.slot} slot) on port %i`,
    `After=${['network-online.target', ...before].join(' ')}`,
    'Wants=network-online.target',
    ...(before.length > 0 ? [`Requires=${before.join(' ')}`] : []),
    '',
    '[Service]',
    'Type=simple',
    `User=${input.service}`,
    `EnvironmentFile=${VM_PATHS.releaseEnv(input.service)}`,
    ...(needsSecrets ? [`EnvironmentFile=${VM_PATHS.secretsEnv(input.service)}`] : []),
    'Environment=PORT=%i',
    ...(certs.length > 0 ? [`Environment=CERTS_DIR=${VM_PATHS.certsDir(input.service)}`] : []),
    `ExecStart=${VM_PATHS.start(input.service)}`,
    'Restart=always',
    'RestartSec=2',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    `StateDirectory=${input.service}/%i`,
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
  if (needsRelease) {
    units[u.release] = [
      '[Unit]',
      `Description=Download and verify ${input.service} ${input.version}`,
      'After=network-online.target',
      'Wants=network-online.target',
      '',
      '[Service]',
      'Type=oneshot',
      'RemainAfterExit=yes',
      `ExecStart=${VM_PATHS.fetch} ${input.service} ${input.version} ${input.artifact!.url} ${input.artifact!.sha256} ${input.identityResourceId}`,
      'Restart=on-failure',
      'RestartSec=10',
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n');
  }
  if (certs.length > 0) {
    if (!input.vaultName) throw new Error(`${input.service}: certificates need the vault's name`);
    const sources = certs.map((c) => VM_PATHS.keyVaultCert(input.vaultName!, c));
    units[u.certs] = [
      '[Unit]',
      `Description=Publish ${input.service}'s Key Vault certificates (before an instance starts, and on renewal)`,
      '',
      '[Service]',
      'Type=oneshot',
      `ExecStart=${VM_PATHS.certs} ${input.service} ${VM_PATHS.certsDir(input.service)} ${certs.map((c, i) => `${sources[i]} ${c}`).join(' ')}`,
      'TimeoutStartSec=660',
      '',
    ].join('\n');
    units[u.certsPath] = [
      '[Unit]',
      `Description=Republish ${input.service}'s certificates when the Key Vault extension renews one`,
      '',
      '[Path]',
      ...sources.map((p) => `PathChanged=${p}`),
      `Unit=${u.certs}`,
      '',
      '[Install]',
      'WantedBy=multi-user.target',
      '',
    ].join('\n');
  }
  if (needsSecrets) {
    if (!input.vaultName) throw new Error(`${input.service}: secrets need the vault's name`);
    units[u.secrets] = [
      '[Unit]',
      `Description=Fetch ${input.service}'s Key Vault secrets (each time an instance starts)`,
      'After=network-online.target',
      'Wants=network-online.target',
      '',
      '[Service]',
      // not RemainAfterExit: every instance start pulls it in again, so a rotated secret arrives on restart
      'Type=oneshot',
      `ExecStart=/usr/bin/python3 ${VM_PATHS.secrets} ${input.service} ${input.vaultName} ${input.identityResourceId} ${VM_PATHS.secretsList(input.service)} ${VM_PATHS.secretsEnv(input.service)}`,
      '',
    ].join('\n');
  }
  return units;
}

/** The VM health endpoint's unit (one per VM). */
export function renderHealthUnit(): string {
  return [
    '[Unit]',
    `Description=VM health endpoint on port ${VM_HEALTH_PORT}`,
    'After=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    'DynamicUser=yes',
    `ExecStart=/usr/bin/python3 ${VM_PATHS.health} ${VM_PATHS.healthConfig}`,
    'Restart=always',
    'RestartSec=2',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

interface WriteFile {
  readonly path: string;
  readonly owner: string;
  readonly permissions: string;
  readonly content: string;
}

/** The document as data: what `renderCloudInit` writes. */
export function cloudInitDocument(input: CloudInitInput) {
  const services = [...input.services].sort((a, b) => a.service.localeCompare(b.service));
  const checks = services.flatMap((b) => b.ports.map((port) => ({ port, path: b.healthPath })));
  const healthConfig = { port: VM_HEALTH_PORT, checks, timeoutSeconds: 2 };
  const perService = services.map((b) => {
    const env = [
      envLine('SERVICE', b.service),
      envLine('SLOT', input.slot),
      envLine('VERSION', b.version),
      ...Object.keys(b.settings)
        .sort()
        .map((k) => envLine(k, b.settings[k])),
    ].join('\n');
    const units = renderServiceUnits({ ...b, slot: input.slot, identityResourceId: input.identityResourceId });
    const secrets = Object.entries(b.secrets ?? {}).sort(([a], [c]) => a.localeCompare(c));
    return {
      envFile: { path: VM_PATHS.releaseEnv(b.service), owner: 'root:root', permissions: '0644', content: `${env}\n` },
      secretsList: secrets.length > 0 ? [{ path: VM_PATHS.secretsList(b.service), owner: 'root:root', permissions: '0600', content: secrets.map(([k, v]) => `${k} ${v}\n`).join('') }] : [],
      unitFiles: Object.entries(units).map(([name, content]) => ({ path: `/etc/systemd/system/${name}`, owner: 'root:root', permissions: '0644', content })),
    };
  });
  const writeFiles: WriteFile[] = [
    ...perService.flatMap((p) => [p.envFile, ...p.secretsList]),
    { path: VM_PATHS.healthConfig, owner: 'root:root', permissions: '0644', content: `${JSON.stringify(healthConfig)}\n` },
    HEALTH_FILE,
    ...(services.some((b) => b.artifact) ? [FETCH_FILE] : []),
    ...(services.some((b) => Object.keys(b.secrets ?? {}).length > 0) ? [SECRETS_FILE] : []),
    ...(services.some((b) => (b.certificates ?? []).length > 0) ? [CERTS_FILE] : []),
    ...perService.flatMap((p) => p.unitFiles),
    { path: `/etc/systemd/system/${HEALTH_UNIT}`, owner: 'root:root', permissions: '0644', content: renderHealthUnit() },
  ];
  return {
    users: ['default', ...services.map((b) => ({ name: b.service, system: true, shell: '/usr/sbin/nologin', no_create_home: true }))],
    package_update: false,
    write_files: writeFiles,
    runcmd: [
      ['systemctl', 'daemon-reload'],
      ['systemctl', 'enable', '--now', HEALTH_UNIT, ...services.filter((b) => (b.certificates ?? []).length > 0).map((b) => unitNames(b.service).certsPath), ...services.flatMap((b) => b.ports.map((p) => unitNames(b.service).instanceOf(p)))],
    ],
  };
}

const HEALTH_FILE: WriteFile = { path: VM_PATHS.health, owner: 'root:root', permissions: '0755', content: HEALTH_SCRIPT };
const FETCH_FILE: WriteFile = { path: VM_PATHS.fetch, owner: 'root:root', permissions: '0755', content: FETCH_SCRIPT };
const SECRETS_FILE: WriteFile = { path: VM_PATHS.secrets, owner: 'root:root', permissions: '0755', content: SECRETS_SCRIPT };
const CERTS_FILE: WriteFile = { path: VM_PATHS.certs, owner: 'root:root', permissions: '0755', content: CERTS_SCRIPT };
const YAML_OPTIONS = { lineWidth: 0 } as const;

/** The reference rendering: the whole document through the yaml library. */
export function renderCloudInitReference(input: CloudInitInput): string {
  return `#cloud-config\n${stringify(cloudInitDocument(input), YAML_OPTIONS)}`;
}

/** One write_files entry as it appears under `write_files:` (two-space indented sequence item). */
const fragment = (f: WriteFile) => stringify([f], YAML_OPTIONS).replace(/^(?=.)/gm, '  ');
/** The library's own scripts are the same in every document: rendered once. */
const CONSTANT_FRAGMENTS = new Map([HEALTH_FILE, FETCH_FILE, SECRETS_FILE, CERTS_FILE].map((f) => [f, fragment(f)]));

/**
 * The whole #cloud-config document, deterministic for the same input. Byte-identical to
 * `renderCloudInitReference` (a test holds it to that), but the library's constant scripts are
 * serialized once instead of once per scale set: a large environment renders hundreds.
 */
export function renderCloudInit(input: CloudInitInput): string {
  const { write_files: files, runcmd, ...head } = cloudInitDocument(input);
  return [
    '#cloud-config\n',
    stringify(head, YAML_OPTIONS),
    'write_files:\n',
    ...files.map((f) => CONSTANT_FRAGMENTS.get(f) ?? fragment(f)),
    stringify({ runcmd }, YAML_OPTIONS),
  ].join('');
}

/** What one service brings to a slot's VMs. */
export function serviceBoot(plan: EnvironmentPlan, svc: Service, slot: SlotName): ServiceBoot {
  const s = svc.slots[slot];
  const settings: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  for (const [k, v] of Object.entries(svc.settings)) {
    if (typeof v === 'string') settings[k] = v;
    else secrets[k] = v.secret;
  }
  return {
    service: svc.name,
    version: s.version,
    ports: plan.ports.services[svc.name].ports,
    healthPath: svc.healthPath,
    settings,
    artifact: s.artifact,
    ...(Object.keys(secrets).length > 0 || svc.certificates.length > 0 ? { vaultName: plan.names.keyVault } : {}),
    ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
    ...(svc.certificates.length > 0 ? { certificates: svc.certificates } : {}),
  };
}

/** The cloud-init input of one slot of a planned service on its own scale set. */
export function cloudInitFor(plan: EnvironmentPlan, svc: Service, slot: SlotName, identityResourceId: string): CloudInitInput {
  return { slot, identityResourceId, services: [serviceBoot(plan, svc, slot)] };
}
