/** Writing a file so that a reader sees the old bytes or the new ones, never half of either. */
import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `text` to a temp file beside `path` (same folder, so the rename is atomic), then renames
 * it over `path`. An existing file's mode is kept. `exclusive` refuses to replace a file that
 * appeared meanwhile. The temp file never survives a failure.
 */
export function writeFileAtomic(path: string, text: string, options: { exclusive?: boolean } = {}): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now().toString(36)}.tmp`);
  const mode = existsSync(path) ? statSync(path).mode & 0o777 : 0o644;
  try {
    const fd = openSync(tmp, 'wx', mode);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    if (options.exclusive && existsSync(path)) throw new Error(`${path} appeared while it was being written`);
    renameSync(tmp, path);
  } finally {
    rmSync(tmp, { force: true });
  }
}
