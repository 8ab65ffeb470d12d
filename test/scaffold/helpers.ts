/** Scaffold test helpers: the example environment as .ts, .json and .yaml files in temp folders. */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Document } from 'yaml';
import example from '../../stacks/environments/retail';
import { loadSpecFile } from '../../lib/spec/load';
import { main, type Io } from '../../lib/scaffold/cli';
import { synthesize, type SynthResult } from '../../lib/environment/synthesize';
import { tempDir } from '../helpers';

export const SCHEMA_MODULE = resolve(__dirname, '../../lib/spec/schema');
export const SHA = 'c0ffee'.padEnd(64, '0');

/** retail.ts as the user wrote it, its import pointed at this checkout's schema module. */
export function exampleTsText(): string {
  return readFileSync(resolve(__dirname, '../../stacks/environments/retail.ts'), 'utf8').replace("'../../lib/spec/schema'", `'${SCHEMA_MODULE}'`);
}

export function exampleJsonText(): string {
  return `${JSON.stringify(example, null, 2)}\n`;
}

/** The example as YAML, with comments above and beside fields, and one after the last service. */
export function exampleYamlText(): string {
  const doc = new Document(example);
  doc.commentBefore = ' The example environment, as YAML';
  const region = doc.get('region', true) as { comment?: string };
  region.comment = ' Amsterdam';
  const services = doc.contents as unknown as { items: Array<{ key: { commentBefore?: string }; value: { items: Array<{ commentBefore?: string }> } }> };
  const pair = services.items.find((p) => (p.key as unknown as { value: string }).value === 'services')!;
  pair.key.commentBefore = ' the services, each in two slots';
  pair.value.items[1].commentBefore = ' order processing: gossip between its own instances';
  return `${doc.toString({ lineWidth: 0 })}# end of the environment\n`;
}

export const FORMATS = {
  ts: exampleTsText,
  json: exampleJsonText,
  yaml: exampleYamlText,
} as const;

/** A temp folder holding one environment file; removed by `done`. */
export function folderWith(file: string, text: string): { dir: string; path: string; done: () => void } {
  const dir = tempDir('ase-scaffold-test-');
  const envs = join(dir, 'environments');
  mkdirSync(envs);
  writeFileSync(join(envs, file), text);
  return { dir: envs, path: join(envs, file), done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `new …` and captures its output. */
export function run(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/**
 * Synthesizes a written environment file, loaded as the synth loads it (`loadSpecFile`), into a
 * temp folder. Jest caches a file's text by path for the whole test file, so the file is loaded
 * from a fresh copy at the same depth (its relative import still resolves).
 */
export function synthFile(dir: string, file: string): SynthResult & { stackNames: string[] } {
  const out = tempDir('ase-scaffold-out-');
  try {
    mkdirSync(join(out, 'environments'));
    copyFileSync(join(dir, file), join(out, 'environments', file));
    const r = synthesize([loadSpecFile(join(out, 'environments'), file)], join(out, 'cdktf.out'));
    return { ...r, stackNames: r.ok ? readdirSync(join(out, 'cdktf.out', 'stacks')).sort() : [] };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/**
 * The text `after` added to `before` as one contiguous insertion: every byte of `before` is in
 * `after`, in order, around it. Fails when anything of `before` changed.
 */
export function insertedText(before: string, after: string): string {
  let i = 0;
  while (i < before.length && before[i] === after[i]) i++;
  let j = 0;
  while (j < before.length - i && before[before.length - 1 - j] === after[after.length - 1 - j]) j++;
  if (i + j !== before.length) throw new Error(`the original changed at offset ${i}: ${JSON.stringify(before.slice(i, i + 80))}`);
  return after.slice(i, after.length - j);
}
