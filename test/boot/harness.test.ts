/**
 * The boot harness itself (test/support/boot.ts): a document reaches cloud-init through the NoCloud
 * seed and nothing else, a boot leaves nothing behind (no process, no mount, no folder, the cached
 * root unchanged), and a boot that does not power off is ended at its limit by PID.
 * Run with `npm run test:boot` (ASE_BOOT_TESTS=1, as root).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { boot, BOOT_TESTS, bootRoot, type Vm } from '../support/boot';

const describeBoot = BOOT_TESTS ? describe : describe.skip;

/** PIDs whose command line names the boot's folder (nspawn's binds do), and mounts under it. */
function leftovers(dir: string): { pids: number[]; mounts: string[] } {
  const pids: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) pids.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return { pids, mounts: readFileSync('/proc/mounts', 'utf8').split('\n').filter((l) => l.includes(dir)) };
}

const tree = (root: string) => execFileSync('sh', ['-c', `cd ${root} && find . -xdev -newer .ase-boot-complete -not -path './dev/*' | head -n 20`], { encoding: 'utf8' });

describeBoot('the boot harness', () => {
  let root: string;
  let vm: Vm | undefined;
  beforeAll(() => {
    root = bootRoot();
  }, 900_000);
  // a failed expectation must not leave a VM running
  afterEach(async () => {
    await vm?.stop();
    vm = undefined;
  }, 120_000);

  test('a document from the NoCloud seed runs to cloud-init\'s final stage; the boot leaves no process, mount or folder, and the root is unchanged', async () => {
    const before = tree(root);
    const doc = '#cloud-config\nwrite_files:\n  - path: /etc/ase-boot-test\n    content: |\n      written by cloud-init\nruncmd:\n  - [sh, -c, "cat /etc/ase-boot-test > /run/ase-boot-test; systemctl --version | head -n 1 >> /run/ase-boot-test"]\n';
    vm = await boot(root, { name: 'harness', userData: doc, limitSeconds: 180 });
    const dir = vm.dir;
    await vm.waitForUnits('cloud-init done', (u) => u['cloud-final.service']?.ActiveState === 'active');
    const atFinal = (Date.now() - vm.startedAt) / 1000;
    expect((await vm.exec('cat /run/ase-boot-test')).output).toMatch(/^written by cloud-init\nsystemd 252 /);
    // cloud-init took the document from the NoCloud seed (no other datasource was tried)
    expect((await vm.exec('cloud-init query v1.platform; cloud-init query ds.meta_data.instance-id')).output).toMatch(/^nocloud\nase-boot-harness-/);
    const result = await vm.stop();
    vm = undefined;
    expect(result.ended).toBe('poweroff');
    expect(Object.values(result.units).filter((u) => u.ActiveState === 'failed').map((u) => u.Id)).toEqual([]);
    expect(result.cloudInitStatus).toMatch(/^status: done$/m);
    expect(existsSync(dir)).toBe(false);
    expect(leftovers(dir)).toEqual({ pids: [], mounts: [] });
    expect(tree(root)).toBe(before);
    console.log(`trivial document: cloud-final active ${atFinal.toFixed(1)} s after nspawn started; powered off at ${result.seconds.toFixed(1)} s`);
  }, 300_000);

  test('a boot that does not power off is ended at its limit, by PID, and leaves nothing', async () => {
    // the reporter is masked, so stop() cannot power off through it: only the limit ends the boot
    vm = await boot(root, {
      name: 'limit',
      userData: '#cloud-config\n',
      limitSeconds: 25,
      files: [{ path: '/etc/systemd/system/ase-boot-report.service', content: '[Service]\nExecStart=/bin/sleep infinity\n' }],
    });
    const dir = vm.dir;
    await new Promise((r) => setTimeout(r, 30_000));
    expect(vm.running).toBe(false);
    const result = await vm.stop();
    vm = undefined;
    expect(result.ended).toBe('killed');
    expect(result.seconds).toBeLessThan(25 + 15 + 5);
    expect(leftovers(dir)).toEqual({ pids: [], mounts: [] });
  }, 120_000);
});
