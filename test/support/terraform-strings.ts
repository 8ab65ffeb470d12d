/**
 * How Terraform reads the strings of a JSON configuration, for tests: a scanner of its template
 * syntax (to find which text Terraform would evaluate), and a read-back through the real
 * terraform binary with the built-in terraform_data resource (no provider download).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A JSON string as Terraform's template syntax reads it. */
export interface TemplateReading {
  /** The literal text, with each evaluated part as '\u0000' (a string-literal interpolation such as `${"$"}` counts as its text). */
  readonly literal: string;
  /** The text of every `${…}` interpolation Terraform evaluates (string literals excepted). */
  readonly expressions: readonly string[];
  /** The text of every `%{…}` directive. */
  readonly directives: readonly string[];
}

/** The index after the brace closing the one opened before `from` (quoted strings skipped), or -1. */
function closeOf(s: string, from: number): number {
  let depth = 1;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i + 1;
  }
  return -1;
}

/** Reads a string as Terraform does: `$${` and `%%{` are literal, `${…}` and `%{…}` are evaluated. */
export function readTemplate(s: string): TemplateReading {
  let literal = '';
  const expressions: string[] = [];
  const directives: string[] = [];
  let i = 0;
  while (i < s.length) {
    if (s.startsWith('$${', i) || s.startsWith('%%{', i)) {
      literal += s.slice(i + 1, i + 3);
      i += 3;
    } else if (s.startsWith('${', i) || s.startsWith('%{', i)) {
      const end = closeOf(s, i + 2);
      const body = end < 0 ? s.slice(i + 2) : s.slice(i + 2, end - 1);
      if (s[i] === '%') directives.push(body);
      else if (/^\s*"(?:[^"\\$%]|\\.)*"\s*$/.test(body) || /^\s*"\$+"\s*$/.test(body)) literal += JSON.parse(body.trim());
      else {
        expressions.push(body);
        literal += '\u0000';
      }
      i = end < 0 ? s.length : end;
    } else literal += s[i++];
  }
  return { literal, expressions, directives };
}

/** Every string (map keys included) in a JSON value, with its JSON path. */
export function stringsOf(value: unknown, path = '', out: Array<{ path: string; s: string }> = []): Array<{ path: string; s: string }> {
  if (typeof value === 'string') out.push({ path, s: value });
  else if (Array.isArray(value)) value.forEach((v, i) => stringsOf(v, `${path}[${i}]`, out));
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      out.push({ path: `${path}{key}`, s: k });
      stringsOf(v, `${path}.${k}`, out);
    }
  }
  return out;
}

const env = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };

/**
 * What the real terraform makes of JSON strings taken from a synthesized configuration: each is
 * put, as it is, in a terraform_data input, applied, and read back from the state.
 */
export function terraformReads(strings: readonly string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'tfread-'));
  try {
    const config = { resource: { terraform_data: { read: { input: strings } } } };
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config));
    execFileSync('terraform', ['init', '-no-color', '-input=false'], { cwd: dir, env, stdio: 'pipe' });
    execFileSync('terraform', ['apply', '-no-color', '-input=false', '-auto-approve'], { cwd: dir, env, stdio: 'pipe' });
    const state = JSON.parse(execFileSync('terraform', ['show', '-json'], { cwd: dir, env, maxBuffer: 256 << 20 }).toString());
    return state.values.root_module.resources[0].values.input as string[];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
