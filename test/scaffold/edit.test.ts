/** The splice that adds a service entry: every shape of `services` a user may have written. */
import { addServiceEntry } from '../../lib/scaffold/edit';
import { ScaffoldError } from '../../lib/scaffold/errors';
import { parseEnvironmentText } from '../../lib/scaffold/source';
import { SCHEMA_MODULE } from './helpers';

const entry = { name: 'search', block: 2, capacity: { min: 2, default: 2, max: 6 }, traffic: { live: 'blue' } };
const head = `import { defineEnvironment } from "${SCHEMA_MODULE}";\n\n`;

/**
 * The edit's result declares the old services plus the entry, and it only inserted text. With
 * `linesKept`, every original line is also still there, unchanged and in order (in JSON the
 * last entry's line may gain its comma).
 */
function expectAdded(before: string, file: string, linesKept = false) {
  const edit = addServiceEntry(before, file, entry, '--env');
  const old = parseEnvironmentText(before, file, '--env') as { services: unknown[] };
  const now = parseEnvironmentText(edit.text, file, '--env') as { services: unknown[] };
  expect(now).toEqual({ ...old, services: [...old.services, entry] });
  expect(edit.insertions.every((i) => !i.remove)).toBe(true);
  if (linesKept) {
    const lines = edit.text.split('\n');
    let k = 0;
    for (const line of before.split('\n')) {
      // JSON has no trailing commas: the last entry's line gains one
      const same = (l: string) => l === line || (file.endsWith('.json') && l.replace(/,(\r?)$/, '$1') === line);
      while (k < lines.length && !same(lines[k])) k++;
      expect([line, k < lines.length]).toEqual([line, true]);
      k++;
    }
  }
  return edit;
}

describe('TypeScript', () => {
  test.each([
    ['a trailing comma', 'export default defineEnvironment({\n  name: "x",\n  services: [\n    { name: "a", block: 1 },\n  ],\n});\n', true],
    ['no trailing comma', 'export default defineEnvironment({\n  name: "x",\n  services: [\n    { name: "a", block: 1 }\n  ],\n});\n'],
    ['a comment after the last entry', 'export default defineEnvironment({\n  services: [\n    { name: "a", block: 1 }, // the first\n    // { name: "old", block: 9 }, removed in March\n  ],\n});\n', true],
    ['a comment after an entry with no comma', 'export default defineEnvironment({\n  services: [\n    { name: "a", block: 1 } // the first\n  ],\n});\n'],
    ['an empty list', 'export default defineEnvironment({\n  name: "x",\n  services: [],\n});\n'],
    ['an empty list with a comment inside', 'export default defineEnvironment({\n  services: [\n    // none yet\n  ],\n});\n', true],
    ['a one-line list', 'export default defineEnvironment({ services: [{ name: "a", block: 1 }] });\n'],
    ['tabs', 'export default defineEnvironment({\n\tservices: [\n\t\t{ name: "a", block: 1 },\n\t],\n});\n', true],
    ['satisfies and a variable', 'const env = {\n  services: [\n    { name: "a", block: 1 },\n  ],\n} satisfies Record<string, unknown>;\nexport default env;\n', true],
    ['an `environment` export', 'export const environment = defineEnvironment({\n  services: [\n    { name: "a", block: 1 },\n  ] as const,\n});\n', true],
  ])('%s', (_what, body, linesKept = false) => {
    const edit = expectAdded(head + body, 'env.ts', linesKept);
    expect(edit.text).toMatch(/name: "search"/); // the file's quotes
  });

  test('indents the entry like its neighbours', () => {
    const edit = expectAdded(`${head}export default defineEnvironment({\n    services: [\n        { name: "a", block: 1 },\n    ],\n});\n`, 'env.ts');
    expect(edit.text).toMatch(/^ {8}\{\n {12}name: "search",\n/m);
  });

  test('refuses services it cannot see as a list, printing the entry to add by hand', () => {
    const text = `${head}const base = [{ name: 'a', block: 1 }];\nexport default defineEnvironment({ services: [...base].concat([]) });\n`;
    expect(() => addServiceEntry(text, 'env.ts', entry, '--env')).toThrow(/`services` is not an array literal; add this entry to services by hand:\n\{\n {2}name: 'search',/);
  });

  test('refuses a file that does not parse, naming the line', () => {
    try {
      addServiceEntry(`${head}export default defineEnvironment({\n  services: [\n});\n`, 'env.ts', entry, '--env');
      throw new Error('accepted');
    } catch (e) {
      expect(e).toBeInstanceOf(ScaffoldError);
      expect((e as ScaffoldError).message).toMatch(/^env\.ts:\d+ does not parse: /);
    }
  });
});

describe('JSON', () => {
  test.each([
    ['two-space indentation', '{\n  "name": "x",\n  "services": [\n    {\n      "name": "a",\n      "block": 1\n    }\n  ]\n}\n', true],
    ['an empty list', '{\n  "name": "x",\n  "services": []\n}\n'],
    ['one line', '{"name":"x","services":[{"name":"a","block":1}]}'],
    ['tabs and CRLF', '{\r\n\t"services": [\r\n\t\t{ "name": "a", "block": 1 }\r\n\t]\r\n}\r\n', true],
    ['strings with brackets and escapes', '{\n  "note": "a ] \\" [ ,",\n  "services": [\n    { "name": "a", "block": 1 }\n  ]\n}\n', true],
  ])('%s', (_what, text, linesKept = false) => {
    expectAdded(text, 'env.json', linesKept);
  });
});

describe('YAML', () => {
  test.each([
    ['indented items with comments', 'name: x # the env\nservices:\n  # first\n  - name: a\n    block: 1 # one\n  # trailing\n# after\npools: []\n', true],
    ['items at the key\'s column', 'services:\n- name: a\n  block: 1\n', true],
    ['no newline at the end', 'services:\n  - name: a\n    block: 1'],
    ['a flow list', 'services: [{ name: a, block: 1 }] # flow\n'],
  ])('%s', (_what, text, linesKept = false) => {
    expectAdded(text, 'env.yaml', linesKept);
  });

  test('an empty flow list becomes a block list; the comment beside it stays', () => {
    const edit = addServiceEntry('name: x\nservices: [] # none yet\nz: 1\n', 'env.yaml', entry, '--env');
    expect(edit.text).toBe('name: x\nservices: # none yet\n  - name: search\n    block: 2\n    capacity:\n      min: 2\n      default: 2\n      max: 6\n    traffic:\n      live: blue\nz: 1\n');
  });
});
