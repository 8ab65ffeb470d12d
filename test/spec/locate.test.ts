/**
 * Problems name the line and column of the value (lib/spec/locate.ts): in JSON, YAML and
 * TypeScript environment files, the position printed is where the offending value is written.
 */
import { locate, pathSegments } from '../../lib/spec/locate';
import { formatProblems, validateAll } from '../../lib/spec/environments';
import { exampleSpec } from '../helpers';

/** The text at a 1-based line and column. */
function at(text: string, loc: { line: number; column: number } | undefined, length: number): string | undefined {
  if (!loc) return undefined;
  return text.split('\n')[loc.line - 1].slice(loc.column - 1, loc.column - 1 + length);
}

test('path segments: indexes, names, quoted keys', () => {
  expect(pathSegments('services[2].slots.blue.version')).toEqual(['services', 2, 'slots', 'blue', 'version']);
  expect(pathSegments('tags["a.b"]')).toEqual(['tags', 'a.b']);
  expect(pathSegments('(file)')).toEqual([]);
});

test('JSON (pretty and minified) and YAML: the position is the value', () => {
  const spec = exampleSpec() as Record<string, any>;
  spec.services[1].capacity.max = 12345;
  for (const text of [JSON.stringify(spec, null, 2), JSON.stringify(spec)]) {
    expect(at(text, locate(text, 'e.json', 'services[1].capacity.max'), 5)).toBe('12345');
  }
  const yaml = 'name: retail\nservices:\n  - name: pricing\n    capacity:\n      min: 2\n      max: 777\n';
  expect(locate(yaml, 'e.yaml', 'services[0].capacity.max')).toEqual({ line: 6, column: 12 });
  // a missing field: the object that lacks it
  expect(locate(yaml, 'e.yaml', 'services[0].capacity.default')).toEqual({ line: 5, column: 7 });
});

test('TypeScript: through defineEnvironment(...), `as const`, a named constant, and a spread', () => {
  const text = [
    "import { defineEnvironment } from 'azure-slot-environments';",
    "const pricing = { name: 'pricing', capacity: { min: 3, max: 999 } };",
    'export default defineEnvironment({',
    "  name: 'retail',",
    '  services: [pricing, { ...pricing, name: "catalog", port: 70000 }],',
    '} as const);',
  ].join('\n');
  expect(at(text, locate(text, 'e.ts', 'services[0].capacity.max'), 3)).toBe('999');
  expect(at(text, locate(text, 'e.ts', 'services[1].port'), 5)).toBe('70000');
  // built by code: the nearest literal written out (the spread's object)
  expect(at(text, locate(text, 'e.ts', 'services[1].capacity.max'), 1)).toBe('{');
  expect(locate('this is not ts {', 'e.ts', 'a.b')).toBeUndefined();
});

test('formatProblems: file:line:column, and the service named at its index', () => {
  const spec = exampleSpec() as Record<string, any>;
  spec.services[1].capacity.min = 1;
  const text = JSON.stringify(spec, null, 2);
  const { problems } = validateAll([{ file: 'retail.json', spec: JSON.parse(text), issues: [], text }]);
  const line = formatProblems(problems, 'envs').split('\n')[1];
  const m = /^ {2}envs\/retail\.json:(\d+):(\d+): services\[1\] \(order-processing\)\.capacity\.min: got 1, expected >= 2$/.exec(line);
  expect(m).not.toBeNull();
  expect(at(text, { line: Number(m![1]), column: Number(m![2]) }, 1)).toBe('1');
});
