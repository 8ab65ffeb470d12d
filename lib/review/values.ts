/**
 * How the review shows a configuration value: short values inline, secrets never, encoded
 * documents (custom data, cloud-init, nginx.conf, JSON settings) decoded and diffed line by line.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { createTwoFilesPatch } from 'diff';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Attribute names whose values are secrets: shown only as "changed", never as a digest (a digest of a short password can be guessed). */
const SECRET = /(^|_)(password|secret|client_secret|access_key|connection_string|sas|token|private_key|protected_settings)$/;
/** Attribute names holding a base64 document the VM decodes (cloud-init; the release in user data; `user_data_base64` on a Flexible scale set). */
const BASE64_DOCUMENT = /^(custom_data|user_data|user_data_base64)$/;
/** Attribute names holding certificate or key bytes: high entropy, shown as a digest. */
const BINARY = /^(contents|certificate_data|key_data)$/;

export const isSecretAttribute = (name: string): boolean => SECRET.test(name);

const INLINE_MAX = 80;

const digest = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex').slice(0, 12)}`;

/**
 * A configuration string as Terraform reads it when it holds no interpolation: `$${` and `%%{` are
 * the escaped `${` and `%{` (the synth escapes spec text that way, lib/core). A string with a real
 * `${…}` or `%{…}` is left as written.
 */
export function terraformLiteral(value: string): string {
  if (/(^|[^$])\$\{|(^|[^%])%\{/.test(value)) return value;
  return value.replace(/\$\$\{/g, '${').replace(/%%\{/g, '%{');
}

/** The readable text of a value when it is a document worth a line diff; undefined otherwise. */
export function documentText(name: string, value: Json | undefined): string | undefined {
  // a long list of plain values (subnet IDs, address ranges): one item per line
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null) && JSON.stringify(value).length > INLINE_MAX) return `${value.map(String).join('\n')}\n`;
  if (typeof value !== 'string') return undefined;
  if (BASE64_DOCUMENT.test(name) && /^[A-Za-z0-9+/=\s]+$/.test(value)) {
    const bytes = Buffer.from(value, 'base64');
    const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
    return raw.toString('utf8');
  }
  if (value.includes('\n')) return terraformLiteral(value);
  // JSON carried as a string (extension settings, policies): pretty-printed, so one field is one line
  if (/^[[{]/.test(value) && value.length > 60) {
    try {
      return `${JSON.stringify(maskSecrets(JSON.parse(terraformLiteral(value)) as Json), null, 2)}\n`;
    } catch {
      return undefined;
    }
  }
  return undefined;
}


/** A copy with the values of secret-named keys replaced, at any depth. */
export function maskSecrets(value: Json): Json {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretAttribute(k) ? '(sensitive)' : maskSecrets(v)]));
}

/** A value in a table cell: inline code, a digest for long or binary strings, "(sensitive)" for secrets. */
export function inlineValue(name: string, value: Json | undefined): string {
  if (value === undefined) return '–';
  if (isSecretAttribute(name)) return '(sensitive)';
  if (typeof value === 'string' && (BINARY.test(name) || BASE64_DOCUMENT.test(name))) return `\`${digest(value)}\` (${value.length} chars)`;
  const text = typeof value === 'string' ? value : JSON.stringify(maskSecrets(value));
  if (text.length > INLINE_MAX) return `\`${digest(text)}\` (${text.length} chars)`;
  return code(text);
}

/** Inline code that survives backticks and pipes in a Markdown table cell. */
export function code(text: string): string {
  const safe = text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const fence = safe.includes('`') ? '``' : '`';
  return `${fence}${fence.length > 1 ? ' ' : ''}${safe}${fence.length > 1 ? ' ' : ''}${fence}`;
}

/** A unified line diff of two documents, without the file header lines. */
export function lineDiff(label: string, before: string, after: string): string {
  const patch = createTwoFilesPatch(`${label} (before)`, `${label} (after)`, before, after, undefined, undefined, { context: 3 });
  return patch
    .split('\n')
    .filter((l) => !/^(=+|Index: |--- |\+\+\+ )/.test(l))
    .join('\n')
    .trimEnd();
}
