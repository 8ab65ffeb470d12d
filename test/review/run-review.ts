/** Runs `ase review` in process as CI would, in `cwd`, capturing its output and exit code. */
import { main } from '../../lib/review/cli';

export function runReview(args: string[], cwd: string): { code: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const code = main(args, { stdout: (s) => (stdout += s), stderr: (s) => (stderr += s), cwd });
  return { code, stdout, stderr };
}
