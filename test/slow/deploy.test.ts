/**
 * The deploy commands docs/deploying.md and the README give, run with the real cdktf CLI as far
 * as it runs offline. `cdktf deploy <stack>` checks, before Terraform runs, that every stack the
 * named ones depend on (transitively) is named too, unless `--ignore-missing-stack-dependencies`
 * is given; past that check it runs `terraform init`, which fails here: the CLI configuration
 * written below offers the provider only from an empty folder (so the test can never reach a
 * registry or Azure, online or not), and no Azure credentials are passed on.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers';

const root = resolve(__dirname, '..', '..');
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  dir = join(tempDir('ase-deploy-'), 'project');
  mkdirSync(dir);
  for (const f of ['lib', 'stacks', 'scripts', 'package.json', 'cdktf.json']) cpSync(join(root, f), join(dir, f), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const mirror = join(dir, '..', 'empty-mirror');
  mkdirSync(mirror);
  writeFileSync(join(dir, '..', 'terraform.rc'), `provider_installation {\n  filesystem_mirror {\n    path    = "${mirror}"\n    include = ["*/*/*"]\n  }\n}\n`);
  env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(ARM_|AZURE_|CDKTF_OUTDIR$|TF_)/.test(k)));
  Object.assign(env, { CI: '1', CHECKPOINT_DISABLE: '1', TF_CLI_CONFIG_FILE: join(dir, '..', 'terraform.rc'), HOME: join(dir, '..'), FORCE_COLOR: '0' });
});

let synthesized = false;
function cdktf(command: string, ...args: string[]) {
  // The first run synthesizes (the app from cdktf.json, as a user's run does); later ones add
  // --skip-synth, which reads the same cdktf.out and manifest: the check under test is unchanged,
  // and each run takes about 2 s instead of 5.
  const skip = synthesized ? ['--skip-synth'] : [];
  // no --auto-approve: even a run that got that far would stop at the approval prompt
  const r = spawnSync(join(root, 'node_modules', '.bin', 'cdktf'), [command, ...args, ...skip], { cwd: dir, env, encoding: 'utf8', timeout: 120_000, input: '' });
  synthesized = true;
  return { status: r.status, out: `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
}
const deploy = (...args: string[]) => cdktf('deploy', ...args);

const REFUSED = /Usage Error: The following dependencies are not included in the stacks to run: (.*)\. Either add them or add the --ignore-missing-stack-dependencies flag\./;
const missingOf = (out: string) => REFUSED.exec(out)?.[1].split(', ').sort();

describe('cdktf deploy, the real CLI', () => {
  test('`cdktf deploy retail-front` alone is refused before Terraform runs: its dependency stacks are not named', () => {
    const r = deploy('retail-front');
    expect(r.status).not.toBe(0);
    expect(missingOf(r.out)).toEqual(['retail-identities', 'retail-network']);
    expect(r.out).not.toMatch(/Initializing the backend/);
  });

  test('the check is transitive: naming the network and identities still leaves the vault and the monitor they depend on', () => {
    expect(missingOf(deploy('retail-network', 'retail-identities', 'retail-front').out)).toEqual(['retail-monitor', 'retail-vault']);
  });

  test.each([
    ['a swap: the front only, with the flag', ['retail-front', '--ignore-missing-stack-dependencies']],
    ["a release: one service's stack, with the flag", ['retail-svc-pricing', '--ignore-missing-stack-dependencies']],
    ['the platform in order, every dependency named', ['retail-monitor', 'retail-network', 'retail-vault', 'retail-identities', 'retail-front']],
    ['the whole environment by pattern', ['retail-*']],
    ['a grant changed: monitor, network, vault and identities', ['retail-monitor', 'retail-network', 'retail-vault', 'retail-identities']],
    ['a service added: every stack it and the front depend on', ['retail-monitor', 'retail-network', 'retail-vault', 'retail-identities', 'retail-svc-pricing', 'retail-front']],
  ])('%s passes the check and goes on to terraform init (which fails offline)', (_what, args) => {
    const r = deploy(...args);
    expect(r.out).not.toMatch(REFUSED);
    expect(r.out).toMatch(/Initializing the backend/);
    expect(r.out).toMatch(/terraform init failed/);
    expect(r.status).not.toBe(0);
  });

  test('`cdktf destroy <stack>` is refused while the stacks that depend on it are not named; the teardown recipe gives the flag', () => {
    const refused = cdktf('destroy', 'retail-vault');
    expect(refused.out).toMatch(/Usage Error: The following dependant stacks are not included in the stacks to run: retail-identities\. Either add them or add the --ignore-missing-stack-dependencies flag\./);
    expect(refused.out).not.toMatch(/Initializing the backend/);
    const flagged = cdktf('destroy', 'retail-vault', '--ignore-missing-stack-dependencies');
    expect(flagged.out).not.toMatch(/Usage Error/);
    expect(flagged.out).toMatch(/Initializing the backend/);
  });

  test("a service's stack is destroyed alone (nothing depends on it); the network only with the flag", () => {
    const svc = cdktf('destroy', 'retail-svc-pricing');
    expect(svc.out).not.toMatch(/Usage Error/);
    expect(svc.out).toMatch(/Initializing the backend/);
    expect(cdktf('destroy', 'retail-network').out).toMatch(/Usage Error: The following dependant stacks are not included/);
  });

  test('`cdktf diff <stack>` takes one stack and checks no dependencies', () => {
    const r = cdktf('diff', 'retail-front');
    expect(r.out).not.toMatch(/Usage Error/);
    expect(r.out).toMatch(/Initializing the backend/);
  });
});
