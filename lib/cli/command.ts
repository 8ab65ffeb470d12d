/**
 * What every `ase` command module provides, and the one error type commands throw to stop with a
 * message and an exit code. Kept apart from `main.ts` so command modules never import the table.
 */

/**
 * A command's entry point: its arguments (after the command's name), the exit code back. It
 * writes its own output; it may also throw a {@link CommandError}.
 */
export type CommandMain = (argv: string[]) => Promise<number> | number;

/** Stops a command: `ase` prints the message on stderr (nothing else) and exits with the code. */
export class CommandError extends Error {
  /** 2 for bad usage, 1 for anything else. */
  public readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CommandError';
    this.exitCode = exitCode;
  }
}
