import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { environmentJsonSchema } from '../../lib/spec/json-schema';
import { exampleSpec, type Json } from '../helpers';

const committed = JSON.parse(readFileSync(join(__dirname, '..', '..', 'schema', 'environment.schema.json'), 'utf8'));
// formats (cidrv4, uuid) are editor hints: each also carries a pattern, which Ajv checks
const validate = new Ajv2020({ strict: false, validateFormats: false, allErrors: true }).compile(committed);

describe('JSON Schema for editors', () => {
  test('the committed schema is the one the spec generates (run `npm run schema` after changing the spec)', () => {
    expect(committed).toEqual(environmentJsonSchema());
  });

  test('accepts the example environment as JSON', () => {
    expect(validate(JSON.parse(JSON.stringify(exampleSpec())))).toBe(true);
  });

  test('flags what the synth refuses: an unknown field, a wrong type, a bad name', () => {
    const spec = exampleSpec() as Json;
    spec.services[0].prot = 1;
    spec.services[1].capacity.min = 'two';
    spec.name = 'Retail';
    expect(validate(spec)).toBe(false);
    const where = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(where).toEqual(expect.arrayContaining(['/services/0 additionalProperties', '/services/1/capacity/min type', '/name pattern']));
  });
});
