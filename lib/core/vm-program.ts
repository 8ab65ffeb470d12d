/**
 * The programs the VMs run are real files of their own language in this package, each beside the
 * TypeScript that renders it into custom data (`lib/compute/vm/` for the service VMs,
 * `lib/front/vm/` and `lib/front/lua/` for the front VMs; docs/vm-side.md lists them). They are
 * read once, at module load, from the folder beside the compiled module (`__dirname`), so the same
 * code works from `lib/` (tests, `npm run synth`), `.build/` and `dist/` in the installed package,
 * and their bytes go into custom data unchanged.
 *
 * A program carries a few values the TypeScript side also relies on (an exit status, a default
 * path, a length). They are written in the program as literals, so the file is exactly what runs
 * and what the linters read; `carries` names each one as the text it must contain, and a file that
 * no longer contains it stops the module from loading, naming the file and the text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Thrown when a program and the TypeScript constants it must agree with have drifted apart. */
export class VmProgramDriftError extends Error {}

/**
 * The text of `name` in `dir`, checked to contain every string in `carries`.
 * @throws VmProgramDriftError naming the file and every missing string
 */
export function readVmProgram(dir: string, name: string, carries: readonly string[] = []): string {
  const path = join(dir, name);
  const text = readFileSync(path, 'utf8');
  const missing = carries.filter((c) => !text.includes(c));
  if (missing.length > 0) {
    throw new VmProgramDriftError(`${path} no longer contains ${missing.map((m) => JSON.stringify(m)).join(', ')}: the program and the TypeScript constants it must agree with differ; change both together`);
  }
  return text;
}
