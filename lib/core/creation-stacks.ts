/**
 * cdktf 0.21 records a full stack trace for every token it makes (each attribute a provider
 * construct exposes, each reference read), and reads those traces only to word a token-resolution
 * error. At 200 services that is over 20,000 traces: about a second of CPU and 40 MB of live heap,
 * and the extra heap slows every garbage collection during the synth (measured: peak RSS 329 MB
 * with traces, 181-195 MB without; the output is byte-identical). cdktf has no switch for it, so
 * {@link withoutCreationStacks} pins `Error.stackTraceLimit` to 0 while constructs are built.
 */

/** Set to '1' to keep cdktf's creation stack traces (debugging a token-resolution error). */
export const CREATION_STACKS_ENV = 'ASE_CREATION_STACKS';

/**
 * Runs `build` with stack-trace capture off (cdktf's assignment of the limit is ignored), then
 * restores it, also when `build` throws. Errors thrown inside carry no trace; set
 * {@link CREATION_STACKS_ENV}=1 to keep them.
 */
export function withoutCreationStacks<T>(build: () => T): T {
  if (process.env[CREATION_STACKS_ENV] === '1') return build();
  const saved = Object.getOwnPropertyDescriptor(Error, 'stackTraceLimit');
  if (!saved?.configurable) return build();
  Object.defineProperty(Error, 'stackTraceLimit', { get: () => 0, set: () => undefined, configurable: true, enumerable: saved.enumerable });
  try {
    return build();
  } finally {
    Object.defineProperty(Error, 'stackTraceLimit', saved);
  }
}
