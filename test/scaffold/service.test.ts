/** `new service`: adds a service with safe defaults to a .ts, .json or .yaml environment file. */
import { readdirSync, readFileSync } from 'node:fs';
import { validateEnvironment } from '../../lib/spec/validate';
import { FORMATS, folderWith, insertedText, run, SHA, synthFile } from './helpers';

const newService = (dir: string, name: string, ...more: string[]) => run('service', name, '--env', 'retail', '--dir', dir, '--version', '1.0.0', '--sha256', SHA, ...more);

describe.each(Object.keys(FORMATS) as Array<keyof typeof FORMATS>)('new service in a .%s environment', (format) => {
  const file = `retail.${format}`;
  let folder: ReturnType<typeof folderWith>;
  let before: string;
  beforeAll(() => {
    before = FORMATS[format]();
    folder = folderWith(file, before);
  });
  afterAll(() => folder.done());

  test('adds the service in one insertion, keeping every other byte, and the result synthesizes with no policy findings', () => {
    const r = newService(folder.dir, 'search');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/Added service 'search' to .*retail\.\w+: block 4, Standard_D2s_v5, 2-6 instances per slot/);
    const after = readFileSync(folder.path, 'utf8');
    const inserted = insertedText(before, after);
    expect(inserted).toMatch(/search/);
    expect(inserted).not.toMatch(/pricing|catalog/);
    if (format !== 'json') expect(after).toMatch(/order processing: gossip|seed 000: prices follow the shopping day/);

    const synth = synthFile(folder.dir, file);
    expect(synth.problems).toEqual([]);
    expect(synth.ok).toBe(true);
    expect(synth.warnings).toEqual([]);
    expect(synth.stackNames).toContain('retail-svc-search');
    expect(readdirSync(folder.dir)).toEqual([file]);
  });

  test('the same name again is refused and the file is byte-identical', () => {
    const now = readFileSync(folder.path);
    const r = newService(folder.dir, 'search');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new service: <name>: service 'search' already exists in .*retail\.\w+ \(services\[3\]\)$/m);
    expect(readFileSync(folder.path).equals(now)).toBe(true);
    expect(readdirSync(folder.dir)).toEqual([file]);
  });

  test('a name that breaks the spec rule is refused, naming the argument', () => {
    const now = readFileSync(folder.path);
    const r = newService(folder.dir, 'Search_2');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new service: <name>: 'Search_2' is not a service name: lower-case letters/m);
    expect(readFileSync(folder.path).equals(now)).toBe(true);
  });
});

describe('new service refuses', () => {
  let folder: ReturnType<typeof folderWith>;
  let before: string;
  beforeAll(() => {
    before = FORMATS.ts();
    folder = folderWith('retail.ts', before);
  });
  afterAll(() => folder.done());
  const untouched = () => {
    expect(readFileSync(folder.path, 'utf8')).toBe(before);
    expect(readdirSync(folder.dir)).toEqual(['retail.ts']);
  };

  test('an unknown environment, naming --env and the ones there', () => {
    const r = run('service', 'search', '--env', 'retial', '--dir', folder.dir, '--version', '1.0.0', '--sha256', SHA);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new service: --env: unknown environment 'retial' in .* \(there: retail\)$/m);
    untouched();
  });

  test('a missing --sha256, a missing --version, a name derived resources cannot take', () => {
    expect(run('service', 'search', '--env', 'retail', '--dir', folder.dir, '--version', '1.0.0').err).toMatch(/^ase new service: --sha256: required/m);
    expect(run('service', 'search', '--env', 'retail', '--dir', folder.dir, '--sha256', SHA).err).toMatch(/^ase new service: --version: required/m);
    const long = `s${'e'.repeat(50)}`;
    const r = newService(folder.dir, long);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new service: <name>: services\[3\]\.name: makes the scale set name 'vmss-retail-se+-blue' \d+ characters long/m);
    untouched();
  });

  test('a block another service holds, naming --block', () => {
    const r = newService(folder.dir, 'search', '--block', '2');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new service: --block: services\[3\]\.block/m);
    untouched();
  });

  test('a capacity the quotas cannot hold, naming --max, with the numbers', () => {
    const r = newService(folder.dir, 'search', '--max', '60');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new service: --max: quotas\.standardDSv5Family: \d+ vCPUs at peak .* exceed the quota of 300/m);
    untouched();
  });

  test('an environment file that does not parse, leaving it as it was', () => {
    const broken = folderWith('retail.ts', `${before.slice(0, -10)}\n`);
    try {
      const r = newService(broken.dir, 'search');
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^ase new service: --env: .*retail\.ts cannot be read/m);
      expect(readdirSync(broken.dir)).toEqual(['retail.ts']);
      expect(readFileSync(broken.path, 'utf8')).toBe(`${before.slice(0, -10)}\n`);
    } finally {
      broken.done();
    }
  });
});

test('new service picks the first small size whose quota has room', () => {
  // DSv5 is nearly used up by the example; ESv5 has room for a small service
  const folder = folderWith('retail.json', FORMATS.json().replace('"standardDSv5Family": 300', '"standardDSv5Family": 260').replace('"standardESv5Family": 100', '"standardESv5Family": 200'));
  try {
    const r = newService(folder.dir, 'search');
    expect(r.code).toBe(0);
    const spec = JSON.parse(readFileSync(folder.path, 'utf8'));
    expect(spec.services[3]).toMatchObject({ name: 'search', block: 4, vmSize: 'Standard_E2s_v5', capacity: { min: 2, default: 2, max: 6 }, traffic: { live: 'blue' } });
    expect(validateEnvironment(spec).ok).toBe(true);
  } finally {
    folder.done();
  }
});

test('new service into an empty services list of a YAML file turns `[]` into a block list and keeps the comment beside it', () => {
  const text = FORMATS.yaml().replace(/^services:\n(?:[ -].*\n|#.*\n)*/m, 'services: [] # none yet\n');
  const folder = folderWith('retail.yaml', text);
  try {
    expect(newService(folder.dir, 'search').code).toBe(0);
    const after = readFileSync(folder.path, 'utf8');
    expect(after).toMatch(/^services: # none yet\n {2}- name: search\n {4}block: 1\n/m);
    expect(after.replace(/^services: # none yet\n(?: {2}.*\n)*/m, 'services: [] # none yet\n')).toBe(text);
  } finally {
    folder.done();
  }
});

test('an artifact outside the environment\'s artifact store is refused, naming --artifact-url', () => {
  const folder = folderWith('retail.json', FORMATS.json());
  try {
    const r = newService(folder.dir, 'search', '--artifact-url', 'https://elsewhere.blob.core.windows.net/r/s.tar.gz');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^ase new service: --artifact-url: services\[3\]\.slots\.blue\.artifact\.url: is in storage account 'elsewhere', not the artifactStore 'stretailreleases'/m);
    expect(readdirSync(folder.dir)).toEqual(['retail.json']);
  } finally {
    folder.done();
  }
});

test('an environment that has problems already is refused with exit 1, listing every problem', () => {
  const text = FORMATS.json().replace('"min": 2,\n        "default": 3', '"min": 1,\n        "default": 3');
  const folder = folderWith('retail.json', text);
  try {
    const r = newService(folder.dir, 'search');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^ase new service: --env: .*retail\.json has problems already; fix them first/m);
    expect(r.err).toMatch(/^ {2}services\[1\]\.capacity\.min: got 1, expected >= 2$/m);
    expect(readFileSync(folder.path, 'utf8')).toBe(text);
  } finally {
    folder.done();
  }
});
