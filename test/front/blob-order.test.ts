/**
 * The order real Terraform applies a swap in, for the front's blobs as synthesized. The azurerm
 * provider cannot run here, so each azurerm_storage_blob becomes a built-in `terraform_data` with
 * the same graph: its `lifecycle` as synthesized, replaced when its `name` changes (`name` is
 * ForceNew in storage_blob_resource.go, and the content-addressed name changes with the content,
 * itself ForceNew), and the pointer's metadata references kept as references. What is proved is
 * Terraform's own ordering: the new table is created, then the pointer updated, then the old table
 * deleted; and after a failed create the pointer still names the old table, which still exists.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exampleSpec, synthStacks, tempDir, type Json } from '../helpers';

const TF_ENV = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1' };

function asTerraformData(stackJson: string): Json {
  const blobs = (JSON.parse(stackJson) as Json).resource.azurerm_storage_blob as Record<string, Json>;
  const ref = (v: string) => v.replace(/\$\{azurerm_storage_blob\.([^.}]+)\.name\}/g, '$${terraform_data.$1.output.name}');
  const data = Object.fromEntries(
    Object.entries(blobs).map(([address, b]) => [
      address,
      {
        input: { name: b.name, ...Object.fromEntries(Object.entries((b.metadata ?? {}) as Record<string, string>).map(([k, v]) => [k, ref(v)])) },
        triggers_replace: [b.name],
        ...(b.lifecycle ? { lifecycle: b.lifecycle } : {}),
        // a failed create, on demand (the blob service refusing the upload)
        provisioner: [{ 'local-exec': { command: 'test -z "$FAIL_CREATE"' } }],
      },
    ]),
  );
  return { resource: { terraform_data: data } };
}

const tf = (dir: string, args: string[], env: Record<string, string> = {}) => spawnSync('terraform', args, { cwd: dir, env: { ...TF_ENV, ...env }, encoding: 'utf8' });

/** apply's events: `action address` in the order they started and completed. */
function apply(dir: string, config: Json, env: Record<string, string> = {}) {
  writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(config, null, 2));
  const r = tf(dir, ['apply', '-auto-approve', '-input=false', '-json'], env);
  const events = r.stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Json)
    .filter((e) => /^apply_(start|complete|errored)$/.test(e.type))
    .map((e) => `${e.type.slice('apply_'.length)} ${e.hook.action} ${e.hook.resource.addr}`);
  return { status: r.status, events };
}

/** The pointer's input and each table object in state (current or deposed). */
function state(dir: string) {
  const s = JSON.parse(tf(dir, ['state', 'pull']).stdout) as Json;
  const of = (name: string) => (s.resources as Json[]).find((r) => r.name === name)!.instances as Json[];
  return {
    pointer: of('front_pointer')[0].attributes.input.value.table as string,
    tables: of('front_routing-table').map((i) => `${i.attributes.input.value.name as string}${i.deposed ? ' (deposed)' : ''}${i.status === 'tainted' ? ' (tainted)' : ''}`).sort(),
  };
}

const stackOf = (mutate: (s: ReturnType<typeof exampleSpec>) => void) => {
  const spec = exampleSpec();
  mutate(spec);
  return synthStacks(spec)['retail-front'];
};
const tableName = (stackJson: string) => ((JSON.parse(stackJson) as Json).resource.azurerm_storage_blob['front_routing-table'].name as string);

test('a swap: the new table is created, then the pointer updated, then the old table deleted; a failed create leaves the pointer on the old table, which stays', () => {
  const dir = tempDir('front-blob-order-');
  const base = stackOf(() => undefined);
  const swap = stackOf((s) => (s.services[0].traffic = { live: 'green' }));
  const ramp = stackOf((s) => (s.services[0].traffic = { live: 'green', weight: 10 }));
  expect(tf(dir, ['init', '-input=false']).status).toBe(0);
  expect(apply(dir, asTerraformData(base)).status).toBe(0);

  const t = { base: tableName(base), swap: tableName(swap), ramp: tableName(ramp) };
  writeFileSync(join(dir, 'main.tf.json'), JSON.stringify(asTerraformData(swap)));
  expect(tf(dir, ['plan', '-out=p', '-input=false']).status).toBe(0);
  const plan = JSON.parse(tf(dir, ['show', '-json', 'p']).stdout) as Json;
  const actions = Object.fromEntries((plan.resource_changes as Json[]).map((c) => [c.address, c.change.actions.join(',')]));
  // create before destroy, and the pointer (the only other change) in place; the config is untouched
  expect(actions).toEqual({ 'terraform_data.front_config': 'no-op', 'terraform_data.front_pointer': 'update', 'terraform_data.front_routing-table': 'create,delete' });

  const swapped = apply(dir, asTerraformData(swap));
  expect(swapped.status).toBe(0);
  expect(swapped.events).toEqual([
    'start create terraform_data.front_routing-table',
    'complete create terraform_data.front_routing-table',
    'start update terraform_data.front_pointer',
    'complete update terraform_data.front_pointer',
    'start delete terraform_data.front_routing-table',
    'complete delete terraform_data.front_routing-table',
  ]);
  expect(state(dir)).toEqual({ pointer: t.swap, tables: [t.swap] });

  // the next change's create fails: the pointer is not updated, the old table is still there
  const failed = apply(dir, asTerraformData(ramp), { FAIL_CREATE: '1' });
  expect(failed.status).toBe(1);
  expect(failed.events).toEqual(['start create terraform_data.front_routing-table', 'errored create terraform_data.front_routing-table']);
  expect(state(dir).pointer).toBe(t.swap);
  expect(state(dir).tables).toContain(`${t.swap} (deposed)`);
  // the retry moves the pointer only after its create, and then removes what is left
  const retried = apply(dir, asTerraformData(ramp));
  expect(retried.status).toBe(0);
  const at = (e: string) => retried.events.indexOf(e);
  expect(at('complete create terraform_data.front_routing-table')).toBeLessThan(at('start update terraform_data.front_pointer'));
  const deletes = retried.events.flatMap((e, i) => (e === 'start delete terraform_data.front_routing-table' ? [i] : []));
  expect(deletes.length).toBeGreaterThan(0);
  for (const i of deletes) expect(i).toBeGreaterThan(at('complete update terraform_data.front_pointer'));
  expect(state(dir)).toEqual({ pointer: t.ramp, tables: [t.ramp] });
});
