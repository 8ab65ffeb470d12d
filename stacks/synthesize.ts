// The synth driver moved to lib/environment/synthesize.ts (the package ships it). This re-export
// keeps older imports working (tests); new code imports it from lib/.
export * from '../lib/environment/synthesize';
