/**
 * What a VM makes of the custom data and user data in a synthesized configuration, for tests:
 * the documents as the VM receives them (base64 literals in the JSON, decoded), the cloud-config
 * loaded by cloud-init's own YAML loader, and environment files read by a shell and by a real
 * systemd (PID 1 in systemd-nspawn, when this machine can run one).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTemplate } from './terraform-strings';
import { decodeCustomData } from '../../lib/compute/scale-set';

/** One base64 document attribute of a scale set in the synthesized JSON. */
export interface VmDocument {
  /** 'stack/resource_type.name.attribute' */
  readonly at: string;
  /** The attribute's JSON string, as Terraform reads it (a template). */
  readonly json: string;
  /** The decoded text the VM receives. */
  readonly text: string;
}

const ATTRIBUTES: ReadonlyArray<readonly string[]> = [['custom_data'], ['user_data'], ['user_data_base64'], ['os_profile', 'custom_data']];

/**
 * Every custom data and user data attribute of every scale set. Each must be a literal (no
 * interpolation or directive: Terraform reads back the string as written) holding base64.
 */
export function vmDocuments(stacks: Record<string, unknown>): VmDocument[] {
  const out: VmDocument[] = [];
  for (const [stack, json] of Object.entries(stacks)) {
    const resources = ((json as { resource?: Record<string, Record<string, unknown>> }).resource ?? {}) as Record<string, Record<string, Record<string, unknown>>>;
    for (const [type, byName] of Object.entries(resources)) {
      for (const [name, r] of Object.entries(byName)) {
        for (const attr of ATTRIBUTES) {
          let v: unknown = r;
          for (const k of attr) v = (v as Record<string, unknown> | undefined)?.[k];
          if (typeof v !== 'string') continue;
          const at = `${stack}/${type}.${name}.${attr.join('.')}`;
          const read = readTemplate(v);
          if (read.expressions.length > 0 || read.directives.length > 0 || read.literal !== v) throw new Error(`${at} is not a literal: ${v.slice(0, 80)}`);
          if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v)) throw new Error(`${at} is not base64`);
          out.push({ at, json: v, text: decodeCustomData(v) });
        }
      }
    }
  }
  return out;
}

/** The cloud-init that reads the documents: the system's (Debian package), with its own python. */
const CLOUD_INIT_PYTHON = '/usr/bin/python3';

/** A cloud-config as cloud-init reads it: the document, and each written file's text as it writes it. */
export interface CloudConfig {
  readonly doc: Record<string, unknown>;
  /** write_files by path: the bytes cloud-init writes (its extract_contents: plain, or decoded from b64/gzip), as UTF-8. */
  readonly files: Record<string, string>;
}

/**
 * Each `#cloud-config` document as cloud-init loads it (`cloudinit.util.load_yaml`, the loader it
 * runs on user data), and each write_files entry's content as its write_files module decodes it.
 */
export function loadCloudConfigs(texts: readonly string[]): CloudConfig[] {
  const script = [
    'import json, sys',
    'from cloudinit import util',
    'from cloudinit.config import cc_write_files as w',
    'out = []',
    'for t in json.load(sys.stdin):',
    '    doc = util.load_yaml(t)',
    '    files = {f["path"]: w.extract_contents(f.get("content", ""), w.canonicalize_extraction(f.get("encoding"))) for f in doc.get("write_files", [])}',
    '    out.append({"doc": doc, "files": {p: (c if isinstance(c, str) else c.decode("utf-8")) for p, c in files.items()}})',
    'print(json.dumps(out))',
    '',
  ].join('\n');
  const out = execFileSync(CLOUD_INIT_PYTHON, ['-c', script], { input: JSON.stringify(texts), maxBuffer: 256 << 20 });
  return JSON.parse(out.toString('utf8')) as CloudConfig[];
}

/** What `cloud-init schema --config-file FILE` prints and returns for one document. */
export interface SchemaResult {
  /** 0 valid, 1 refused. */
  readonly status: number;
  /** `Valid cloud-config: FILE` when valid. */
  readonly stdout: string;
  /** `Error: …` when refused. */
  readonly stderr: string;
}

/**
 * `cloud-init schema --config-file` for many documents in one python process: the CLI's own
 * steps (cloudinit/config/schema.py `handle_schema_args` at 22.4: `get_schema()`, then
 * `validate_cloudconfig_file(file, schema, False)`, "Valid cloud-config: FILE" or the error as
 * `error()` words it), without a python start-up and a schema load per document. A test holds it
 * equal to the CLI on a valid and a refused document (test/compute/cloud-init.test.ts).
 */
export function cloudInitSchemaAll(texts: readonly string[]): SchemaResult[] {
  const dir = mkdtempSync(join(tmpdir(), 'ci-schema-'));
  try {
    const files = texts.map((t, i) => {
      const f = join(dir, `${i}.yaml`);
      writeFileSync(f, t);
      return f;
    });
    const script = [
      'import contextlib, io, json, sys',
      'from cloudinit.config.schema import SchemaValidationError, get_schema, validate_cloudconfig_file',
      'schema = get_schema()',
      'out = []',
      'for f in json.load(sys.stdin):',
      '    printed = io.StringIO()',
      '    try:',
      '        with contextlib.redirect_stdout(printed):',
      '            validate_cloudconfig_file(f, schema, False)',
      '        out.append({"status": 0, "stdout": printed.getvalue() + "Valid cloud-config: " + f + "\\n", "stderr": ""})',
      '    except (SchemaValidationError, RuntimeError) as e:',
      '        out.append({"status": 1, "stdout": printed.getvalue(), "stderr": "Error:\\n" + str(e) + "\\n"})',
      'sys.stdout.write(json.dumps(out))',
      '',
    ].join('\n');
    const out = execFileSync(CLOUD_INIT_PYTHON, ['-c', script], { input: JSON.stringify(files), maxBuffer: 64 << 20 });
    return (JSON.parse(out.toString('utf8')) as SchemaResult[]).map((r, i) => ({ ...r, stdout: r.stdout.split(files[i]).join('FILE') }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const DUMP = 'import json, os, sys; sys.stdout.write(json.dumps(dict(os.environ)))';

/** Environment files as a shell reads them (`set -a; . FILE`): the variables each defines. */
export function envByShell(files: readonly string[]): Array<Record<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'envsh-'));
  try {
    return files.map((content, i) => {
      const file = join(dir, `${i}.env`);
      writeFileSync(file, content);
      const out = execFileSync('/usr/bin/env', ['-i', '/bin/bash', '-c', `set -a; . "$1"; exec ${CLOUD_INIT_PYTHON} -c '${DUMP}'`, 'bash', file]);
      return JSON.parse(out.toString('utf8')) as Record<string, string>;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The Debian root to boot: ROOTFS when set (the boot suite sets it to scripts/boot-root.sh's cached
 * root: test/boot/custom-data.test.ts), else the one scripts/boot-vm-units.sh boots.
 */
const ROOTFS = process.env.ROOTFS ?? '/var/cache/slotenv-nspawn/bookworm';

/** Why a real systemd cannot be booted here, or undefined when it can. */
export function systemdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (systemd-nspawn needs root)';
  if (spawnSync('systemd-nspawn', ['--version']).status !== 0) return 'no systemd-nspawn (apt-get install systemd-container)';
  if (!existsSync(join(ROOTFS, 'lib/systemd/systemd'))) return `no Debian root at ${ROOTFS} (npm run test:boot builds one and runs this test there)`;
  return undefined;
}

/**
 * Environment files as systemd reads them (`EnvironmentFile=`): one boot of a real systemd 252 as
 * PID 1 (systemd-nspawn, the root kept read-only under a tmpfs overlay), a oneshot unit per file
 * that dumps the environment its process was given, then power off.
 */
export function envBySystemd(files: readonly string[]): Array<Record<string, string>> {
  const why = systemdUnavailable();
  if (why) throw new Error(`no systemd to boot: ${why}`);
  const dir = mkdtempSync(join(tmpdir(), 'envsd-'));
  try {
    const probe = join(dir, 'probe');
    const units = join(dir, 'units');
    mkdirSync(probe);
    mkdirSync(join(units, 'multi-user.target.wants'), { recursive: true });
    // one template instance per file
    files.forEach((content, i) => writeFileSync(join(probe, `${i}.env`), content));
    writeFileSync(
      join(units, 'probe@.service'),
      ['[Service]', 'Type=oneshot', 'EnvironmentFile=/probe/%i.env', `ExecStart=/usr/bin/python3 -c 'import json, os, sys; open("/probe/" + sys.argv[1] + ".json", "w").write(json.dumps(dict(os.environ)))' %i`, ''].join('\n'),
    );
    const names = files.map((_, i) => `probe@${i}.service`);
    // as scripts/boot-vm-units.sh does: a oneshot after multi-user.target starts the probes, then powers off
    writeFileSync(join(units, 'probe-done.service'), ['[Unit]', 'DefaultDependencies=no', 'After=multi-user.target', '[Service]', 'Type=oneshot', `ExecStart=/bin/sh -c 'systemctl start ${names.join(' ')}; systemctl poweroff'`, '[Install]', 'WantedBy=multi-user.target', ''].join('\n'));
    symlinkSync('/etc/systemd/system/probe-done.service', join(units, 'multi-user.target.wants', 'probe-done.service'));
    const boot = spawnSync(
      'systemd-nspawn',
      ['-q', '-D', ROOTFS, '--volatile=overlay', `--bind=${probe}:/probe`, `--overlay=${ROOTFS}/etc/systemd/system:${units}:/etc/systemd/system`, '-b', '--register=no', '--keep-unit', '--console=read-only'],
      { timeout: 60_000, encoding: 'utf8' },
    );
    return files.map((_, i) => {
      const out = join(probe, `${i}.json`);
      if (!existsSync(out)) throw new Error(`systemd gave probe ${i} no environment (its EnvironmentFile was refused?); console:\n${(boot.stdout ?? '').slice(-2000)}${boot.stderr ?? ''}`);
      return JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
