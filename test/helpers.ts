/** Test helpers: the example spec, synth into temp folders, and resources by address. */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import example from '../stacks/environments/retail';
import type { EnvironmentSpec, ServiceSpec } from '../lib/spec/schema';
import { validateEnvironment } from '../lib/spec/validate';
import { formatIssue } from '../lib/spec/issues';
import { planEnvironment, type EnvironmentPlan } from '../lib/spec/plan';
import { synthesize } from '../stacks/synthesize';

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

const REPO = join(__dirname, '..');

/** A fresh deep copy of the example environment, to change in a test. */
export function exampleSpec(): EnvironmentSpec {
  return structuredClone(example);
}

export function exampleService(overrides: Partial<ServiceSpec> = {}): ServiceSpec {
  return { ...structuredClone(example.services[0]), ...overrides };
}

/** Validates and plans, failing the test with the issues if the spec is bad. */
export function planOf(spec: unknown): EnvironmentPlan {
  const r = validateEnvironment(spec);
  if (!r.ok) throw new Error(`spec is invalid:\n${r.issues.map((i) => `${i.path}: ${i.message}`).join('\n')}`);
  return planEnvironment(r.environment);
}

export function tempDir(prefix = 'ase-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Synthesizes specs into a new temp folder; returns each stack's cdk.tf.json text by stack name. */
export function synthStacks(...specs: unknown[]): Record<string, string> {
  const dir = tempDir();
  try {
    const out = join(dir, 'cdktf.out');
    const r = synthesize(specs.map((spec, i) => ({ file: `env${i}.ts`, spec, issues: [] })), out);
    if (!r.ok) throw new Error(JSON.stringify(r.problems, null, 2));
    return readStacks(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The unchanged example's stacks, synthesized once for the whole run and shared by every test file
 * that only reads them: a file in the system temp folder keyed by a hash of the spec and of every
 * source the synth reads (lib/, the lock of the dependencies), so a change to either synthesizes
 * again. A synth is a pure function of those (test/stacks/synth.test.ts holds a fresh synth equal to
 * this one); a test that compares two synths takes `synthStacks` for the second.
 */
export function exampleStacks(): Record<string, string> {
  // keyed by the runtime too: `npm run test:cdktn` resolves cdktf to cdktn (jest.cdktn.config.js)
  const runtime = JSON.parse(readFileSync(require.resolve('cdktf/package.json'), 'utf8')) as { name: string; version: string };
  const h = createHash('sha256').update(JSON.stringify(example)).update(`${runtime.name}@${runtime.version}`);
  const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)]));
  for (const f of [...walk(join(REPO, 'lib')), join(REPO, 'package-lock.json')].sort()) h.update(f).update(readFileSync(f));
  const file = join(tmpdir(), 'ase-example-synth', `${h.digest('hex').slice(0, 32)}.json`);
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  const stacks = synthStacks(exampleSpec());
  mkdirSync(dirname(file), { recursive: true });
  // written whole, then renamed: a worker reading beside it sees the old state or the new one
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(stacks));
  renameSync(temp, file);
  return stacks;
}

export function readStacks(outdir: string): Record<string, string> {
  const stacks: Record<string, string> = {};
  for (const name of readdirSync(join(outdir, 'stacks')).sort()) stacks[name] = readFileSync(join(outdir, 'stacks', name, 'cdk.tf.json'), 'utf8');
  return stacks;
}

/**
 * One resource by type and address, without cdktf's '//' metadata; fails if absent, so a test
 * names which resource it means.
 */
export function resourceAt(stack: string | Json, type: string, address: string): Json {
  const json: Json = typeof stack === 'string' ? JSON.parse(stack) : stack;
  const r = json.resource?.[type]?.[address];
  if (!r) throw new Error(`no ${type}.${address}; have: ${Object.keys(json.resource?.[type] ?? {}).join(', ') || 'none of that type'}`);
  const { '//': _metadata, ...body } = r;
  return body;
}

/** Every resource of a type, by address. */
export function resourcesOf(stack: string | Json, type: string): Record<string, Json> {
  const json: Json = typeof stack === 'string' ? JSON.parse(stack) : stack;
  return json.resource?.[type] ?? {};
}

/** Addresses (`type.name`) of resources that differ between two synthesized stacks. */
export function changedResources(before: string, after: string): string[] {
  const index = (text: string) => {
    const out = new Map<string, string>();
    const res = (JSON.parse(text) as { resource?: Record<string, Record<string, unknown>> }).resource ?? {};
    for (const [type, byName] of Object.entries(res)) for (const [name, body] of Object.entries(byName)) out.set(`${type}.${name}`, JSON.stringify(body));
    return out;
  };
  const a = index(before);
  const b = index(after);
  return [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k)).sort();
}

/** The front's two blobs: its nginx config (structure) and its routing table (traffic). */
export const FRONT_BLOB_ADDRESSES = ['azurerm_storage_blob.front_config', 'azurerm_storage_blob.front_routing-table'] as const;

/**
 * A cloud-init document's files laid out under a fake root as they will be on the VM, with the
 * system's units, each service's start program and the named binaries copied in, so
 * `systemd-analyze verify` checks what the VM will run.
 */
export function layOutVm(writeFiles: ReadonlyArray<{ path: string; content: string; permissions: string }>, opts: { services?: readonly string[]; binaries?: readonly string[] } = {}): string {
  const root = tempDir('ase-root-');
  cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true });
  for (const f of writeFiles) {
    mkdirSync(join(root, dirname(f.path)), { recursive: true });
    writeFileSync(join(root, f.path), f.content);
    chmodSync(join(root, f.path), parseInt(f.permissions, 8));
  }
  for (const service of opts.services ?? []) {
    const start = join(root, `/opt/${service}/current/bin/start`);
    mkdirSync(dirname(start), { recursive: true });
    writeFileSync(start, '#!/bin/sh\nexec sleep infinity\n');
    chmodSync(start, 0o755);
  }
  for (const bin of opts.binaries ?? []) {
    mkdirSync(join(root, dirname(bin)), { recursive: true });
    cpSync(bin, join(root, bin), { dereference: true });
  }
  return root;
}

/** `systemd-analyze verify` of units under a laid-out root. */
export const systemdVerify = (root: string, units: readonly string[]) =>
  spawnSync('systemd-analyze', ['verify', '--man=no', '--generators=no', '--recursive-errors=yes', `--root=${root}`, ...units], { encoding: 'utf8' });

/**
 * A project folder for lock-file tests: `run` synthesizes one `retail.ts` environment with its
 * lock file in the folder (optionally `--frozen-lock`), `problems` words the refusals as the CLI
 * does, `lockJson` reads the lock and `editLock` changes it in place.
 */
export function lockProject() {
  const dir = tempDir();
  const out = join(dir, 'cdktf.out');
  const lock = join(dir, 'retail.lock.json');
  const run = (spec: EnvironmentSpec, frozenLock = false) => synthesize([{ file: 'retail.ts', spec, issues: [] }], out, { lockDir: dir, frozenLock });
  const problems = (r: ReturnType<typeof run>) => r.problems.flatMap((p) => p.issues.map((i) => `${p.file}: ${formatIssue(i)}`));
  const lockJson = () => JSON.parse(readFileSync(lock, 'utf8')) as Json;
  const editLock = (f: (l: Json) => void) => {
    const l = lockJson();
    f(l);
    writeFileSync(lock, JSON.stringify(l, null, 2));
  };
  return { dir, out, lock, run, problems, lockJson, editLock };
}

/** A release artifact as the fetcher expects one (a tar.gz with an executable bin/start), and its SHA-256. */
export function releaseTarball(): { tarball: Buffer; sha: string } {
  const dir = tempDir();
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'start'), '#!/bin/sh\necho started\n');
  chmodSync(join(dir, 'bin', 'start'), 0o755);
  const tarball = execFileSync('tar', ['-czf', '-', '-C', dir, 'bin']);
  return { tarball, sha: createHash('sha256').update(tarball).digest('hex') };
}
