/**
 * Spec strings that travel inside a VM's custom data: a service's settings become environment
 * variables of its instances. From the spec through the synthesized JSON (a base64 literal), the
 * cloud-config (cloud-init's own YAML loader and schema check), the environment file it writes,
 * to the environment systemd gives the service (a real systemd 252 booted in systemd-nspawn) and
 * a shell that sources the file: every value arrives exactly as written, whatever its quotes,
 * `$`, backticks, backslashes, line breaks or specifiers. Nothing on the way is a shell: the
 * instances' ExecStart runs the release's start program directly.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { synthesize } from '../../lib/environment/synthesize';
import { validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec, readStacks, tempDir, type Json } from '../helpers';
import { cloudInitSchemaAll, envByShell, envBySystemd, loadCloudConfigs, systemdUnavailable, vmDocuments, type VmDocument } from '../support/custom-data';
import { terraformReads } from '../support/terraform-strings';

/** Values a setting may hold that a careless environment file, YAML document or shell would change. */
const HOSTILE: readonly string[] = [
  'say "hello"',
  "it's",
  '$HOME and ${HOME} and $$',
  '`id` and $(id)',
  'back\\slash, trailing \\',
  'a literal \\n, not a line break',
  'line one\nline two',
  'crlf\r\nend',
  'tab\there',
  '  leading and trailing spaces  ',
  '#not a comment',
  '%i %n %% (systemd specifiers)',
  'KEY=VALUE; rm -rf / && echo | cat',
  '%{if x}${y}%{endif}',
  "- [a, b]: {c: d} & *e ! |f >g @h 'i' \"j\"",
  '---',
  'yes',
  '0x1F',
  '~',
  'caf\u00e9 \u2603 \ud83d\ude00',
  'nbsp\u00a0nel\u0085ls\u2028ps\u2029',
  'del\u007f c1\u0080\u009f',
  'esc\u001b[31m bel\u0007 soh\u0001 vt\u000b ff\u000c',
  '\ufeffbom first',
  'ends with a quote\\"',
  'x'.repeat(3000),
  '',
];

const names = HOSTILE.map((_, i) => `V${i}`);

function hostileSpec(): Json {
  const s = exampleSpec() as Json;
  names.forEach((n, i) => (s.services[0].settings[n] = HOSTILE[i]));
  s.services[1].settings = Object.fromEntries(names.map((n, i) => [n, HOSTILE[i]]));
  return s;
}

function synthStacks(spec: unknown): Record<string, Json> {
  const dir = tempDir();
  try {
    const r = synthesize([{ file: 'env.ts', spec, issues: [] }], join(dir, 'cdktf.out'));
    if (!r.ok) throw new Error(JSON.stringify(r.problems));
    return Object.fromEntries(Object.entries(readStacks(join(dir, 'cdktf.out'))).map(([k, v]) => [k, JSON.parse(v)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('settings in custom data reach the service exactly as written', () => {
  let docs: VmDocument[] = [];
  let envFiles: Array<{ at: string; content: string }> = [];

  beforeAll(() => {
    const spec = hostileSpec();
    const v = validateEnvironment(spec);
    if (!v.ok) throw new Error(v.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    docs = vmDocuments(synthStacks(spec));
    const cloudConfigs = docs.filter((d) => d.text.startsWith('#cloud-config\n'));
    const loaded = loadCloudConfigs(cloudConfigs.map((d) => d.text));
    envFiles = cloudConfigs.flatMap((d, i) =>
      ['pricing', 'order-processing'].flatMap((svc) => {
        const content = loaded[i].files[`/etc/${svc}/release.env`];
        return content === undefined ? [] : [{ at: `${d.at} ${svc}`, content }];
      }),
    );
  }, 120_000);

  it('custom data is a base64 literal that the real terraform reads back as written', () => {
    const custom = docs.filter((d) => d.at.endsWith('custom_data'));
    expect(custom.length).toBeGreaterThanOrEqual(4);
    const read = terraformReads(custom.map((d) => d.json));
    custom.forEach((d, i) => expect({ at: d.at, same: read[i] === d.json }).toEqual({ at: d.at, same: true }));
  }, 120_000);

  it("cloud-init's schema check accepts every document that carries them", () => {
    const checked = docs.filter((x) => x.text.startsWith('#cloud-config\n') && /(pricing|order-processing)/.test(x.at));
    expect(checked.length).toBeGreaterThanOrEqual(2);
    const results = cloudInitSchemaAll(checked.map((d) => d.text));
    checked.forEach((d, i) => expect({ at: d.at, ...results[i] }).toEqual({ at: d.at, status: 0, stdout: 'Valid cloud-config: FILE\n', stderr: '' }));
  }, 120_000);

  it('both slots of both services write the environment file', () => {
    expect(envFiles.map((f) => f.at.replace(/^.*\//, ''))).toEqual(expect.arrayContaining([expect.stringMatching(/ pricing$/), expect.stringMatching(/ order-processing$/)]));
    expect(envFiles.length).toBe(4);
  });

  it('a shell that sources the file (set -a; . release.env) gets every value as written', () => {
    const envs = envByShell(envFiles.map((f) => f.content));
    envFiles.forEach((f, i) => expect({ at: f.at, values: names.map((n) => envs[i][n]) }).toEqual({ at: f.at, values: HOSTILE }));
  });

  // skipped in the suite where no root is built; the boot suite (test/boot/custom-data.test.ts) requires it
  const noSystemd = process.env.ASE_REQUIRE_SYSTEMD ? undefined : systemdUnavailable();
  (noSystemd ? it.skip : it)(`a real systemd (EnvironmentFile=) gives the service every value as written${noSystemd ? ` [skipped: ${noSystemd}]` : ''}`, () => {
    const envs = envBySystemd(envFiles.map((f) => f.content));
    envFiles.forEach((f, i) => expect({ at: f.at, values: names.map((n) => envs[i][n]), SERVICE: envs[i].SERVICE }).toEqual({ at: f.at, values: HOSTILE, SERVICE: f.at.split(' ')[1] }));
  }, 180_000);

  it('the release (user data) is JSON the agent reads back as written', () => {
    const release = docs.filter((d) => /user_data/.test(d.at) && /pricing/.test(d.at)).map((d) => JSON.parse(d.text));
    expect(release.map((r) => r.services.pricing.version).sort()).toEqual(['2024.11.3', '2024.11.4']);
  });
});

describe('what no environment variable can carry', () => {
  it.each([
    ['U+FFFE', '\ufffe', 'U+FFFE'],
    ['U+FFFF', 'x\uffffy', 'U+FFFF'],
    ['U+FDD0', '\ufdd0', 'U+FDD0'],
    ['U+10FFFF', 'a\u{10ffff}', 'U+10FFFF'],
  ])('a Unicode noncharacter (%s) in a setting is refused at its path: systemd refuses the whole environment file, and the service would not start', (_, v, code) => {
    const s = exampleSpec() as Json;
    s.services[0].settings.A = v;
    const r = validateEnvironment(s);
    expect(r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([`services[0].settings.A: ${JSON.stringify(v).replace(/^"|"$/g, "'")} holds ${code}, a Unicode noncharacter: not text (systemd refuses an environment file holding one)`]);
  });


  it('a NUL in a setting is refused at its path (systemd stops reading the file there, dropping later settings)', () => {
    const s = exampleSpec() as Json;
    s.services[0].settings.A = 'before\u0000after';
    const r = validateEnvironment(s);
    expect(r.ok ? [] : r.issues.map((i) => i.path)).toEqual(['services[0].settings.A']);
  });
});
