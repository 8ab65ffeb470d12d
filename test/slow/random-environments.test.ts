/**
 * All 200 random valid environments of test/stacks/random-environments.test.ts synthesized (the
 * fast suite synthesizes the first 4): no crash, no policy error. About a minute on 2 cores, so
 * it runs in the slow step (npm run test:slow).
 */
import { rmSync } from 'node:fs';
import { writeRandomEnvironments } from '../support/valid-environments';
import { tempDir } from '../helpers';

test('200 random valid environments synthesize', () => {
  const dir = tempDir('ase-random-all-');
  try {
    const written = writeRandomEnvironments(dir, 200, 20261202);
    expect(written.filter((w) => !w.ok).map((w) => `${w.name}: ${w.error}`)).toEqual([]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 600_000);
