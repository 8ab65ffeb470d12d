/**
 * The option-coverage fixtures (test/fixtures/environments/): every option the spec has, in as
 * few environments as the options allow (everything.ts lists which field each covers). Loaded
 * and synthesized as the app does, into a folder of their own; the example's cdktf.out and its
 * lock file are never touched (no lock folder: a fixture records no creation-time settings).
 */
import { join, resolve } from 'node:path';
import { environmentFiles, loadSpecFile, type LoadedSpec } from '../../lib/spec/load';
import { synthesize, type SynthResult } from '../../lib/environment/synthesize';
import { writeFixtureCertificates } from '../fixtures/environments/_shared';

/** The folder of the fixture environment files. */
export const FIXTURE_ENVIRONMENTS_DIR = resolve(__dirname, '..', 'fixtures', 'environments');
/** The repository (imported certificate files must lie outside it). */
export const PROJECT_ROOT = resolve(__dirname, '..', '..');

/** The fixture environment files, loaded (TypeScript needs a require hook: jest's, or sucrase/register). */
export function loadFixtureSpecs(dir: string = FIXTURE_ENVIRONMENTS_DIR): LoadedSpec[] {
  return environmentFiles(dir).map((f) => loadSpecFile(dir, f));
}

/**
 * Synthesizes every fixture environment into `outdir` (the synth creates its parents), after writing
 * the imported certificates' files Terraform reads (outside the repository). Never writes a lock file.
 */
export function synthesizeFixtures(outdir: string, specs: readonly LoadedSpec[] = loadFixtureSpecs()): SynthResult {
  writeFixtureCertificates();
  return synthesize(specs, outdir, { projectRoot: PROJECT_ROOT });
}

/** `<outdir>/stacks/<stack>` for each stack, where `terraform validate` runs. */
export const stackDirs = (outdir: string, stacks: readonly string[]): string[] => stacks.map((s) => join(outdir, 'stacks', s));
