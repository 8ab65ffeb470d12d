/**
 * The JSON Schema of an environment file, generated from the same zod schema that validates at
 * synth, so editors (YAML or JSON with `$schema`) and the synth can never disagree on shapes.
 * Rules across fields (overlaps, collisions, fits) exist only in `validateEnvironment`.
 */
import { z } from 'zod';
import { EnvironmentSchema } from './schema';

export const JSON_SCHEMA_ID = 'https://schemas.invalid/azure-slot-environments/environment.schema.json';

/** The JSON Schema (draft 2020-12) of an environment file, as `npm run schema` writes it. */
export function environmentJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(EnvironmentSchema, { io: 'input', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: JSON_SCHEMA_ID, title: 'Service environment' };
}
