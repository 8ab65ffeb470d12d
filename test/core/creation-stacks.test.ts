/**
 * withoutCreationStacks: stack-trace capture is off inside (cdktf's own assignment of the limit
 * included) and restored after, also on a throw; ASE_CREATION_STACKS=1 keeps it; and the synth's
 * output is byte-identical either way.
 */
import { CREATION_STACKS_ENV, withoutCreationStacks } from '../../lib/core/creation-stacks';
import { exampleSpec, synthStacks } from '../helpers';

const frames = () => (new Error('probe').stack ?? '').split('\n').filter((l) => /^\s+at /.test(l)).length;

test('no frames inside, even when cdktf raises the limit; restored after', () => {
  const before = Error.stackTraceLimit;
  const inside = withoutCreationStacks(() => {
    Error.stackTraceLimit = Number.MAX_SAFE_INTEGER; // what cdktf's captureStackTrace does
    return frames();
  });
  expect(inside).toBe(0);
  expect(Error.stackTraceLimit).toBe(before);
  expect(frames()).toBeGreaterThan(0);
});

test('restored when the build throws', () => {
  const before = Error.stackTraceLimit;
  expect(() =>
    withoutCreationStacks(() => {
      throw new Error('boom');
    }),
  ).toThrow('boom');
  expect(Error.stackTraceLimit).toBe(before);
  expect(frames()).toBeGreaterThan(0);
});

test(`${CREATION_STACKS_ENV}=1 keeps the traces`, () => {
  process.env[CREATION_STACKS_ENV] = '1';
  try {
    expect(withoutCreationStacks(frames)).toBeGreaterThan(0);
  } finally {
    delete process.env[CREATION_STACKS_ENV];
  }
});

test('the synth writes the same bytes with and without creation stacks', () => {
  const without = synthStacks(exampleSpec());
  process.env[CREATION_STACKS_ENV] = '1';
  try {
    expect(synthStacks(exampleSpec())).toEqual(without);
  } finally {
    delete process.env[CREATION_STACKS_ENV];
  }
});
