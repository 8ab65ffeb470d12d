/**
 * The retry wrapper (lib/compute/vm/retry.sh) on its own, run by sh with stand-in commands: what
 * each exit status does, what the state file says (the health endpoint reads it), that the
 * command's messages pass through, and that it cleans up. Chained with the real start steps and
 * their backoff: start-steps.test.ts. RETRY_FIRST_SECONDS=0, so no test waits.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PERMANENT_FAILURE_EXIT } from '../../lib/compute/cloud-init';
import { tempDir } from '../helpers';
import { vmProgram } from '../support/vm-programs';

const STATE = '/run/slotenv/app-release.state';

/**
 * Runs the wrapper over a command that counts its attempts, records the state file as it saw it,
 * and then does `body` (sh) with `$n` the attempt number.
 */
function retry(body: string, env: Record<string, string> = {}) {
  const prefix = tempDir('retry-');
  const tmp = join(prefix, 'tmp');
  mkdirSync(tmp);
  const step = join(prefix, 'step');
  writeFileSync(step, `n=$(($(cat "$0.count" 2>/dev/null || echo 0) + 1)); echo "$n" > "$0.count"\ncat "$SLOTENV_PREFIX${STATE}" >> "$0.seen"\n${body}\n`);
  const r = spawnSync('sh', [vmProgram('service', 'retry.sh'), STATE, 'sh', step], { encoding: 'utf8', env: { ...process.env, SLOTENV_PREFIX: prefix, TMPDIR: tmp, RETRY_FIRST_SECONDS: '0', ...env } });
  return {
    status: r.status,
    stderr: r.stderr,
    state: readFileSync(join(prefix, STATE), 'utf8'),
    attempts: Number(readFileSync(`${step}.count`, 'utf8')),
    seen: readFileSync(`${step}.seen`, 'utf8').trim().split('\n'),
    leftovers: [...readdirSync(tmp), ...readdirSync(join(prefix, '/run/slotenv')).filter((f) => f !== 'app-release.state')],
    prefix,
  };
}

test('success at once: exit 0, state ready; the command saw "running attempt 1"; the state folder made under the prefix, nothing left behind', () => {
  const r = retry('exit 0');
  expect(r).toMatchObject({ status: 0, state: 'ready\n', attempts: 1, seen: ['running attempt 1'], leftovers: [], stderr: '' });
});

test('transient failures are retried in the same run, each attempt numbered, the messages passed through; then ready', () => {
  const r = retry('[ "$n" -ge 3 ] && exit 0; echo "HTTP 403 on attempt $n" >&2; exit 7');
  expect(r).toMatchObject({ status: 0, state: 'ready\n', attempts: 3, seen: ['running attempt 1', 'running attempt 2', 'running attempt 3'], leftovers: [] });
  expect(r.stderr).toBe(
    [
      'HTTP 403 on attempt 1',
      'retry: app-release attempt 1 failed (exit 7); next in 0s',
      'HTTP 403 on attempt 2',
      'retry: app-release attempt 2 failed (exit 7); next in 0s',
      '',
    ].join('\n'),
  );
});

test(`exit ${PERMANENT_FAILURE_EXIT}: failed for good at once, the reason the last non-blank line (CR removed), no second attempt`, () => {
  const r = retry(`printf 'downloading\\n\\nhas sha256 abc, expected def; refusing it\\r\\n\\n' >&2; exit ${PERMANENT_FAILURE_EXIT}`);
  expect(r).toMatchObject({ status: PERMANENT_FAILURE_EXIT, state: 'failed has sha256 abc, expected def; refusing it\n', attempts: 1, leftovers: [] });
  // the step by its name (the state file's), not the command it runs (python3, say)
  expect(r.stderr).toMatch(/\nretry: app-release failed for good\n$/);
});

test(`exit ${PERMANENT_FAILURE_EXIT} with no message: the state names the exit status`, () => {
  expect(retry(`exit ${PERMANENT_FAILURE_EXIT}`)).toMatchObject({ status: PERMANENT_FAILURE_EXIT, state: `failed exit ${PERMANENT_FAILURE_EXIT}\n`, attempts: 1 });
});

test('RETRY_ATTEMPTS (tests only) bounds the attempts: failed after N, with the last reason or the exit status; exit 1', () => {
  expect(retry('echo "no token from the managed identity" >&2; exit 1', { RETRY_ATTEMPTS: '2' })).toMatchObject({ status: 1, state: 'failed after 2 attempts: no token from the managed identity\n', attempts: 2, leftovers: [] });
  expect(retry('exit 3', { RETRY_ATTEMPTS: '3' })).toMatchObject({ status: 1, state: 'failed after 3 attempts: exit 3\n', attempts: 3 });
});

test('a command that cannot run is transient like any other failure (a later image or release may bring it)', () => {
  const prefix = tempDir('retry-');
  const r = spawnSync('sh', [vmProgram('service', 'retry.sh'), STATE, join(prefix, 'missing')], { encoding: 'utf8', env: { ...process.env, SLOTENV_PREFIX: prefix, RETRY_FIRST_SECONDS: '0', RETRY_ATTEMPTS: '1' } });
  expect(r.status).toBe(1);
  expect(readFileSync(join(prefix, STATE), 'utf8')).toMatch(/^failed after 1 attempts: .*missing.*\n$/);
  expect(existsSync(join(prefix, `${STATE}.new`))).toBe(false);
});
