/**
 * The programs the VMs run, as they are in the repository: what the tests run, lint and compare
 * custom data with. Read from their folders by path, not through the modules that render them,
 * so no TypeScript stands between a test and the file.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const LIB = join(__dirname, '..', '..', 'lib');

/** The folder of each side's programs. */
export const VM_PROGRAM_DIRS = {
  service: join(LIB, 'compute', 'vm'),
  front: join(LIB, 'front', 'vm'),
  router: join(LIB, 'front', 'lua'),
} as const;

/** The path of one program: `vmProgram('service', 'retry.sh')`. */
export const vmProgram = (side: keyof typeof VM_PROGRAM_DIRS, name: string): string => join(VM_PROGRAM_DIRS[side], name);

/** Every file of one side with that extension, by path (sorted): what the lint tests lint. */
export const vmPrograms = (side: keyof typeof VM_PROGRAM_DIRS, ext: string): string[] =>
  readdirSync(VM_PROGRAM_DIRS[side])
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => join(VM_PROGRAM_DIRS[side], f));
