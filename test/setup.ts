/**
 * Every test file's setup: cdktf's jest matchers, and no cdktf creation stacks.
 *
 * cdktf records a full stack trace for every token it makes, read only to word a token-resolution
 * error. The synth builds without them (lib/core/creation-stacks.ts), but tests that build
 * constructs directly, and cdktf's own module loading, would record them; under jest each trace is
 * mapped through source maps, which cost 10 s of the suite's CPU. So cdktf's capture returns no
 * frames here, as in the synth, unless ASE_CREATION_STACKS=1 (debugging a resolution error).
 */
import * as stackTrace from 'cdktf/lib/tokens/private/stack-trace';
import { CREATION_STACKS_ENV } from '../lib/core/creation-stacks';
import type {} from 'cdktf/lib/testing/adapters/jest'; // the matchers' types (loaded below)

const capture = stackTrace.captureStackTrace;
(stackTrace as { captureStackTrace: typeof capture }).captureStackTrace = (...args) => (process.env[CREATION_STACKS_ENV] === '1' ? capture(...args) : []);

// required after the patch, so that cdktf's own module loading records no traces either
/* eslint-disable @typescript-eslint/no-require-imports */
require('cdktf/lib/testing/adapters/jest');
(require('cdktf') as typeof import('cdktf')).Testing.setupJest();
