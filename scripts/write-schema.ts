/** Writes schema/environment.schema.json (run by `npm run schema`; a test checks it is current). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { environmentJsonSchema } from '../lib/spec/json-schema';

const file = join(__dirname, '..', '..', 'schema', 'environment.schema.json');
mkdirSync(join(file, '..'), { recursive: true });
writeFileSync(file, `${JSON.stringify(environmentJsonSchema(), null, 2)}\n`);
process.stdout.write(`wrote schema/environment.schema.json\n`);
