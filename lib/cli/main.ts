/**
 * `ase`, the package's command line (bin/ase.js runs the compiled file; in this repository
 * `npm run ase -- <command> …`). It looks the command up in {@link COMMANDS} and hands it the
 * remaining arguments; the command's exit code becomes the process's.
 *
 *   ase --help | -h            the commands
 *   ase --version | -v         the package's version
 *   ase <command> …            the command (`ase <command> --help` is the command's own)
 *   ase <unknown>              one line and the usage on stderr, exit 2
 *
 * Exit codes are one convention for every command (lib/cli/args.ts, docs/cli.md): 0 done,
 * 1 problems in the input, 2 misuse, 70 a defect of the tool.
 *
 * Adding a command: one entry in COMMANDS, in name order. The module exports
 * `main(argv: string[]): Promise<number> | number` (see `command.ts`) and is loaded only when its
 * command runs, so one command's dependencies never slow another's start-up:
 *
 *   name: { summary: 'one line for ase --help', load: () => import('../<folder>/cli') },
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { suggest } from '../spec/issues';
import { EXIT_DEFECT, EXIT_USAGE, printable } from './args';
import { CommandError, type CommandMain } from './command';

/** One `ase` command. */
export interface CommandEntry {
  /** One line, shown by `ase --help`. */
  readonly summary: string;
  /** Loads the command's module when the command runs. */
  readonly load: () => Promise<{ readonly main: CommandMain }>;
}

/** The commands, by name. */
export const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  front: { summary: "render an environment's nginx front config, or preview it with real nginx on loopback", load: () => import('./front') },
  new: { summary: 'scaffold an environment file, or a service in one, with safe defaults; written only when it synthesizes with no policy errors', load: () => import('../scaffold/cli') },
  prerequisites: { summary: "what the subscription and the deploying identity need before the first deploy (namespaces, features, roles, artifact-store VNet rules), from the environment's synth, with the az command that checks each", load: () => import('./prerequisites') },
  review: { summary: 'one pull-request comment from two synth outputs, a git ref, or a terraform plan (exit 1 when blocking)', load: () => import('../review/cli') },
  synth: { summary: 'validate the environment files, synthesize their stacks, run the policy pack, write all or nothing (a cdktf app: "app": "npx ase synth")', load: () => import('./synth') },
};

/** The package's version, from its package.json (found above this file, compiled or not). */
export function packageVersion(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'azure-slot-environments') return pkg.version ?? 'unknown';
    } catch {
      /* not here */
    }
    if (dirname(dir) === dir) return 'unknown';
  }
}

/** The text of `ase --help`. */
export function helpText(): string {
  const names = Object.keys(COMMANDS).sort();
  const width = Math.max(...names.map((n) => n.length));
  return [
    'usage: ase <command> [arguments]',
    '',
    'commands:',
    ...names.map((n) => `  ${n.padEnd(width)}  ${COMMANDS[n].summary}`),
    '',
    'retiring a service or a pool takes two changes (docs/lifecycle.md):',
    '  1. set retired: true on its entry, synthesize and deploy: its stack stays, emptied, and the',
    '     front stops routing to it; its subnet, NSG and identities stay',
    '  2. in a later change, remove the entry; removing one that was never retired is refused',
    '  ase review blocks a stack that leaves the synth with resources in it.',
    '',
    "ase <command> --help shows a command's arguments; ase --version the package's version.",
  ].join('\n');
}

const write = (stream: NodeJS.WriteStream, text: string) => stream.write(text.endsWith('\n') ? text : `${text}\n`);

/** Runs `ase` with these arguments (without `node` and the script); returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    write(process.stderr, helpText());
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    write(process.stdout, helpText());
    return 0;
  }
  if (name === '--version' || name === '-v') {
    write(process.stdout, packageVersion());
    return 0;
  }
  const entry = Object.prototype.hasOwnProperty.call(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    const names = Object.keys(COMMANDS).sort();
    const near = suggest(name, names);
    write(process.stderr, `ase: unknown command '${printable(name)}'${near ? ` (${near})` : ''}\nusage: ase <command> [arguments]; commands: ${names.join(', ')} (ase --help)`);
    return EXIT_USAGE;
  }
  return settle(`ase ${name}`, async () => (await entry.load()).main(rest));
}

/**
 * Runs one command and turns what it throws into its exit code: a {@link CommandError} prints its
 * message (exit 1 or 2); anything else is a defect of the tool, not of the input: one line that
 * says so (exit 70), the stack trace only with ASE_DEBUG=1.
 */
export async function settle(command: string, body: () => Promise<number> | number): Promise<number> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof CommandError) {
      write(process.stderr, e.message);
      return e.exitCode;
    }
    const message = e instanceof Error ? e.message.split('\n')[0] : String(e);
    write(process.stderr, `${command}: internal error: ${message}\nThis is a defect of the tool, not of your input; nothing was written. Run again with ASE_DEBUG=1 for the stack trace, and report it.`);
    if (process.env.ASE_DEBUG === '1' && e instanceof Error && e.stack) write(process.stderr, e.stack);
    return EXIT_DEFECT;
  }
}

/** Runs a command as this process (the synth app): its exit code set, never a stack trace. */
export function runCommand(command: string, body: () => Promise<number> | number): void {
  void settle(command, body).then((code) => {
    process.exitCode = code;
  });
}

/** Runs `ase` for this process: the arguments from the command line, the exit code set. */
export function run(argv: string[] = process.argv.slice(2)): void {
  main(argv).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      write(process.stderr, `ase: internal error: ${e instanceof Error ? e.message : String(e)}`);
      process.exitCode = EXIT_DEFECT;
    },
  );
}

// the program itself: bin/ase.js, or `node scripts/app.js lib/cli/main.ts` (npm run ase)
if (require.main === module) run();
