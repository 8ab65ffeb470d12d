/** `new environment`: a commented environment file with safe defaults that synthesizes with no findings. */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers';
import { FORMATS, run, SHA, synthFile } from './helpers';

const REQUIRED = [
  '--subscription', '6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10',
  '--tenant', '0b5d4a3e-2c1f-4e8d-9b7a-6f5e4d3c2b1a',
  '--ssh-key', 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq3mVn5uYw3Zg6c8Yt0cXo7fJ9Q2pWz0k4m1x7Hn2aE shop-team',
  '--deployer', '3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d',
  '--deployer-ip-range', '203.0.113.0/28',
];
const STORE = '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-releases/providers/Microsoft.Storage/storageAccounts/stshopreleases';

let root: string;
let dir: string;
beforeAll(() => {
  root = tempDir('ase-scaffold-env-');
  dir = join(root, 'environments');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('writes a commented environment with no services that synthesizes with no policy findings; a service added to it does too', () => {
  const r = run('environment', 'shop', '--dir', dir, ...REQUIRED, '--tag', 'owner=shop-team', '--artifact-store', STORE);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^Wrote .*shop\.ts: environment 'shop' in westeurope, address space 10\.0\.0\.0\/16, the front on HTTPS/);
  expect(readdirSync(dir)).toEqual(['shop.ts']);
  const text = readFileSync(join(dir, 'shop.ts'), 'utf8');
  expect(text).toMatch(/^import \{ defineEnvironment \} from '.*lib\/spec\/schema';$/m);
  expect(text).toMatch(/^ {2}\/\/ the VMs' admin account: SSH keys only, never a password$/m);
  expect(text).toMatch(/^ {2}requiredTags: \['owner'\],$/m);
  expect(text).toMatch(/^ {2}services: \[\],$/m);

  const env = synthFile(dir, 'shop.ts');
  expect(env.problems).toEqual([]);
  expect(env.warnings).toEqual([]);
  expect(env.stackNames).toEqual(['shop-front', 'shop-identities', 'shop-monitor', 'shop-network', 'shop-vault']);

  // the scaffold's two commands together: `services: []` becomes a list with the new entry
  const s = run('service', 'search', '--env', 'shop', '--dir', dir, '--version', '1.0.0', '--sha256', SHA);
  expect(s.err).toBe('');
  expect(s.code).toBe(0);
  const after = readFileSync(join(dir, 'shop.ts'), 'utf8');
  expect(after.replace(/^ {2}services: \[\n[^]*?^ {2}\],$/m, '  services: [],')).toBe(text);
  const withService = synthFile(dir, 'shop.ts');
  expect(withService.problems).toEqual([]);
  expect(withService.warnings).toEqual([]);
  expect(withService.stackNames).toContain('shop-svc-search');
});

test('--http-only leaves out the vault and the certificate', () => {
  const d = join(root, 'http');
  const r = run('environment', 'lab', '--dir', d, ...REQUIRED, '--http-only', '--region', 'northeurope', '--address-space', '10.30.0.0/16');
  expect(r.code).toBe(0);
  const text = readFileSync(join(d, 'lab.ts'), 'utf8');
  expect(text).not.toMatch(/keyVault|tlsCertificate:/);
  expect(text).toMatch(/region: 'northeurope',[^]*addressSpace: '10\.30\.0\.0\/16',/);
});

describe('new environment refuses, writing nothing', () => {
  let d: string;
  beforeEach(() => {
    d = join(root, `refuse-${Math.random().toString(36).slice(2)}`);
    mkdirSync(d);
    writeFileSync(join(d, 'retail.json'), FORMATS.json());
  });
  const nothingWritten = () => expect(readdirSync(d)).toEqual(['retail.json']);

  test('missing required flags, naming each', () => {
    const r = run('environment', 'shop', '--dir', d, ...REQUIRED.slice(2));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new environment: --subscription: required: the subscription ID/m);
    const none = run('environment', 'shop', '--dir', d);
    expect(none.code).toBe(2);
    expect(none.err.split('\n').map((l) => /--[\w-]+(?=: required)/.exec(l)?.[0]).filter(Boolean)).toEqual(['--subscription', '--tenant', '--ssh-key', '--deployer', '--deployer-ip-range']);
    nothingWritten();
  });

  test('a value the spec refuses, naming the flag with the spec\'s own message', () => {
    const r = run('environment', 'shop', '--dir', d, ...REQUIRED, '--region', 'west europe');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new environment: --region: region: unknown Azure region 'west europe' \(did you mean 'westeurope'\?\)$/m);
    nothingWritten();
  });

  test('a name that breaks the spec rule, naming the argument', () => {
    for (const bad of ['Shop', 'shop--eu', 'a-very-long-environment']) {
      const r = run('environment', bad, '--dir', d, ...REQUIRED);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^ase new environment: <name>: '.*' (is not an environment name|is \d+ characters, expected at most 12)/m);
    }
    nothingWritten();
  });

  test('an environment that exists, by file name or by the name a file declares, leaving the file byte-identical', () => {
    writeFileSync(join(d, 'other.json'), FORMATS.json().replace('"name": "retail"', '"name": "shop"'));
    const before = readFileSync(join(d, 'retail.json'));
    const byFile = run('environment', 'retail', '--dir', d, ...REQUIRED);
    expect(byFile.code).toBe(2);
    expect(byFile.err).toMatch(/^ase new environment: <name>: environment 'retail' already exists: .*retail\.json$/m);
    const byName = run('environment', 'shop', '--dir', d, ...REQUIRED);
    expect(byName.code).toBe(2);
    expect(byName.err).toMatch(/^ase new environment: <name>: environment 'shop' already exists: .*other\.json declares it$/m);
    expect(readFileSync(join(d, 'retail.json')).equals(before)).toBe(true);
    expect(readdirSync(d).sort()).toEqual(['other.json', 'retail.json']);
    expect(existsSync(join(d, 'shop.ts'))).toBe(false);
  });

  test('a name whose lock file is still there: its scale sets may still exist', () => {
    writeFileSync(join(d, 'shop.lock.json'), '{}\n');
    const r = run('environment', 'shop', '--dir', d, ...REQUIRED);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new environment: <name>: .*shop\.lock\.json records scale sets of an environment 'shop', which may still exist/m);
    expect(readdirSync(d).sort()).toEqual(['retail.json', 'shop.lock.json']);
  });
});
