/**
 * The one command-line convention of every `ase` command and of the synth app: each declares its
 * arguments once ({@link CommandArgs}), and {@link parseCommandArgs} turns an argument vector into
 * values, or a {@link CommandError} with exit code 2 that names the argument, suggests the nearest
 * flag, and ends with the usage line. `--help` / `-h` is answered from the same declaration
 * ({@link commandHelp}), so the help can never leave an argument out.
 *
 * Exit codes, the same for the same class of outcome in every command (docs/cli.md):
 *   0   done (review: nothing blocking)
 *   1   the input was read and has problems: spec problems, policy errors, a blocking review,
 *       nginx refusing a rendered config; nothing was written
 *   2   the command was misused: an unknown command or flag, a missing or extra argument, a
 *       flag value of the wrong form, a file or folder named on the command line that is missing
 *   70  a defect of the tool itself (never a user mistake): one line naming it, and a stack
 *       trace only with ASE_DEBUG=1
 */
import { parseArgs } from 'node:util';
import { suggest } from '../spec/issues';
import { CommandError } from './command';

export const EXIT_OK = 0;
export const EXIT_PROBLEMS = 1;
export const EXIT_USAGE = 2;
export const EXIT_DEFECT = 70;

/** One flag of a command. */
export interface FlagSpec {
  /** `string` takes a value (`--out DIR` or `--out=DIR`); `boolean` takes none. */
  readonly type: 'string' | 'boolean';
  /** What the value is, in the usage line (`DIR`, `N`, `FILE`). @default 'VALUE' */
  readonly value?: string;
  /** One line for `--help`. */
  readonly description: string;
  /** May be given more than once (string flags). @default false */
  readonly multiple?: boolean;
  /** The value when the flag is absent, shown in `--help`. @default - none */
  readonly default?: string;
  /** One-letter alias (`-o`). @default - none */
  readonly short?: string;
}

/** A positional argument of a command. */
export interface PositionalSpec {
  /** Its name in the usage line (`env`, `before-dir`). */
  readonly name: string;
  /** One line for `--help`. */
  readonly description: string;
  /** @default false */
  readonly optional?: boolean;
}

/** Everything a command accepts. */
export interface CommandArgs {
  /** As typed: `ase front`, `npm run synth --`. */
  readonly command: string;
  /** One line: what the command does. */
  readonly summary: string;
  /** The usage lines, without `usage:` (several for commands with modes). */
  readonly usage: readonly string[];
  /** The flags, by name (without `--`); `help` is added. */
  readonly flags: Readonly<Record<string, FlagSpec>>;
  /** The positionals, by name, for `--help` (how many a mode takes is the command's check). */
  readonly positionals?: readonly PositionalSpec[];
  /** Further lines for `--help` (exit codes, examples). */
  readonly notes?: readonly string[];
}

/** What {@link parseCommandArgs} read. */
export interface ParsedArgs {
  /** `--help` or `-h` was given: print {@link commandHelp} and exit 0. */
  readonly help: boolean;
  /** String flags as strings (arrays when `multiple`), boolean flags as booleans; absent: default or undefined. */
  readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
  readonly positionals: readonly string[];
}

/** The usage block: `usage: <line>` and the further lines indented, then where help is. */
export function usageText(spec: CommandArgs): string {
  const [first, ...rest] = spec.usage;
  return [`usage: ${first}`, ...rest.map((l) => `       ${l}`), `(${spec.command} --help explains every argument)`].join('\n');
}

/** The text of `<command> --help`: the summary, the usage, every argument with its default. */
export function commandHelp(spec: CommandArgs): string {
  const [first, ...rest] = spec.usage;
  const lines = [`${spec.command}: ${spec.summary}`, '', `usage: ${first}`, ...rest.map((l) => `       ${l}`)];
  if (spec.positionals?.length) {
    lines.push('', 'arguments:');
    const width = Math.max(...spec.positionals.map((p) => p.name.length + 2));
    for (const p of spec.positionals) lines.push(`  ${`<${p.name}>`.padEnd(width)}  ${p.description}${p.optional ? ' (optional)' : ''}`);
  }
  const flags = Object.entries({ ...spec.flags, help: { type: 'boolean', short: 'h', description: 'this text' } as FlagSpec });
  const shown = flags.map(([name, f]) => `${f.short ? `-${f.short}, ` : ''}--${name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`);
  const width = Math.max(...shown.map((s) => s.length));
  lines.push('', 'flags:');
  flags.forEach(([, f], i) => {
    const extra = [f.default !== undefined ? `default ${f.default}` : '', f.multiple ? 'may be repeated' : ''].filter(Boolean).join('; ');
    lines.push(`  ${shown[i].padEnd(width)}  ${f.description}${extra ? ` (${extra})` : ''}`);
  });
  lines.push('', 'exit codes: 0 done, 1 problems found in the input (nothing written), 2 misuse of the command, 70 a defect of the tool (docs/cli.md)');
  if (spec.notes?.length) lines.push('', ...spec.notes);
  return lines.join('\n');
}

/** A usage mistake: the message, then the usage block; exit 2. */
export function usageError(spec: CommandArgs, message: string): CommandError {
  return new CommandError(`${spec.command}: ${message}\n${usageText(spec)}`, EXIT_USAGE);
}

/**
 * Reads `argv` against the declaration. Refuses, all at once with exit 2: unknown flags (with the
 * nearest known one), string flags without a value, boolean flags given a value, a flag given
 * twice that may not be. `--` ends the flags: what follows is positional.
 */
export function parseCommandArgs(spec: CommandArgs, argv: readonly string[]): ParsedArgs {
  const flags: Record<string, FlagSpec> = { ...spec.flags, help: { type: 'boolean', short: 'h', description: 'this text' } };
  const shortToName = new Map(Object.entries(flags).flatMap(([n, f]) => (f.short ? [[f.short, n] as const] : [])));
  const { tokens } = parseArgs({ args: [...argv], strict: false, allowPositionals: true, tokens: true, options: Object.fromEntries(Object.entries(flags).map(([n, f]) => [n, { type: f.type, multiple: f.multiple ?? false, ...(f.short ? { short: f.short } : {}) }])) });
  const problems: string[] = [];
  const values: Record<string, string | boolean | string[] | undefined> = {};
  const positionals: string[] = [];
  const seen = new Set<string>();
  const names = Object.keys(flags).map((n) => `--${n}`);
  for (const t of tokens) {
    if (t.kind === 'positional') {
      positionals.push(t.value);
      continue;
    }
    if (t.kind === 'option-terminator') continue;
    const name = t.rawName.startsWith('--') ? t.name : (shortToName.get(t.name) ?? t.name);
    const flag = Object.prototype.hasOwnProperty.call(flags, name) ? flags[name] : undefined;
    if (!flag) {
      const near = suggest(t.rawName.startsWith('--') ? `--${t.name}` : t.rawName, names);
      problems.push(`unknown flag ${printable(t.rawName)}${near ? ` (${near})` : ''}`);
      continue;
    }
    if (flag.type === 'string' && (t.value === undefined || (t.inlineValue !== true && t.value.startsWith('--')))) {
      problems.push(`${t.rawName} needs a value${flag.value ? ` (${flag.value})` : ''}`);
      continue;
    }
    if (flag.type === 'boolean' && t.value !== undefined) {
      problems.push(`${t.rawName} takes no value (given '${printable(t.value)}')`);
      continue;
    }
    if (seen.has(name) && !flag.multiple) {
      problems.push(`${t.rawName} given more than once`);
      continue;
    }
    seen.add(name);
    if (flag.multiple) values[name] = [...((values[name] as string[] | undefined) ?? []), t.value as string];
    else values[name] = flag.type === 'boolean' ? true : t.value;
  }
  if (values.help === true) return { help: true, values, positionals };
  if (problems.length > 0) throw usageError(spec, problems.join('; '));
  for (const [name, f] of Object.entries(spec.flags)) {
    if (values[name] !== undefined) continue;
    if (f.multiple) values[name] = [];
    else if (f.type === 'boolean') values[name] = false;
    else if (f.default !== undefined) values[name] = f.default;
  }
  return { help: false, values, positionals };
}

/** A value as it can be shown on one line: control characters escaped, long values cut. */
export function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  const escaped = value.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > 80 ? `${escaped.slice(0, 77)}...` : escaped;
}

/** A whole-number flag value in a range, or a usage error naming the flag. */
export function intFlag(spec: CommandArgs, name: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(spec, `--${name}: expected a whole number ${min}-${max}, got '${printable(value)}'`);
  return n;
}
