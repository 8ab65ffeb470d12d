/**
 * The API reference generates from the public entry with no warnings: TypeDoc's
 * `validation.notDocumented` (every exported class, interface, property, function, type and
 * constant has a doc comment), `notExported` and `invalidLink`, with `treatWarningsAsErrors`
 * (typedoc.json). Written to a temp folder, not docs/api.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../helpers';

const root = resolve(__dirname, '..', '..');

test('npm run docs would write the API reference without a warning', () => {
  const out = tempDir('api-docs-');
  try {
    const r = spawnSync(process.execPath, [join(root, 'node_modules', 'typedoc', 'bin', 'typedoc'), '--out', out, '--logLevel', 'Warn'], { cwd: root, encoding: 'utf8', timeout: 120_000 });
    const text = `${r.stdout}${r.stderr}`.replace(/\x1b\[[0-9;]*m/g, ''); // eslint-disable-line no-control-regex
    expect(text.split('\n').filter((l) => /warning|error/i.test(l))).toEqual([]);
    expect(r.status).toBe(0);
    for (const page of ['index.html', join('classes', 'ScaleSet.html'), join('interfaces', 'ScaleSetProps.html')]) expect(existsSync(join(out, page))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
