/**
 * StableAddressStack skips cdktf's preparing pass (it only finds references to another stack's
 * resources, which this library never makes) and checks at every synth that each reference names
 * an element of its own stack. Shown here: the check catches a cross-stack reference that cdktf
 * would have turned into a remote-state lookup, reads depends_on and escapes right, and the
 * example's stacks (and the option fixtures) hold none.
 */
import { App, TerraformStack } from 'cdktf';
import { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { foreignReferences } from '../../lib/core/local-references';
import { StableAddressStack } from '../../lib/core/stable-address-stack';
import { exampleStacks, tempDir } from '../helpers';

const stackWith = (resource: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ resource, ...extra });

test('a reference to a resource or data source the stack does not declare is named', () => {
  const tf = stackWith(
    {
      azurerm_resource_group: { rg: { name: 'a' } },
      azurerm_subnet: { s: { resource_group_name: '${azurerm_resource_group.rg.name}', virtual_network_name: '${azurerm_virtual_network.elsewhere.name}' } },
      azurerm_lb: { lb: { location: '${data.azurerm_resource_group.other.location}', depends_on: ['azurerm_role_assignment.gone'], tags: { a: '${var.missing}' } } },
    },
    { data: {} },
  );
  expect(foreignReferences(tf)).toEqual(['azurerm_role_assignment.gone', 'azurerm_virtual_network.elsewhere', 'data.azurerm_resource_group.other', 'var.missing']);
});

test('escaped expressions, quoted literals, functions and declared names are not references', () => {
  const tf = stackWith(
    {
      azurerm_resource_group: { rg: { name: 'a' } },
      terraform_data: { pin: { input: { version: 'x' } } },
      azurerm_lb: {
        lb: {
          name: '$${azurerm_lb.not_a_reference}',
          tags: { a: '${lookup({"azurerm_x.y" = 1}, "k", azurerm_resource_group.rg.name)}', b: '${terraform_data.pin.input.version}', c: '${length(var.declared) > 0}', d: '${data.azurerm_client_config.current.tenant_id}' },
          depends_on: ['azurerm_resource_group.rg'],
          lifecycle: { replace_triggered_by: ['terraform_data.pin'] },
        },
      },
    },
    { data: { azurerm_client_config: { current: {} } }, variable: { declared: {} } },
  );
  expect(foreignReferences(tf)).toEqual([]);
});

/** Two stacks of `Stack` in a new app, the second's resource group named after the first's (a cross-stack reference). */
function crossStackApp(Stack: typeof TerraformStack): App {
  const app = new App({ outdir: join(tempDir(), 'out') });
  const [a, b] = ['a', 'b'].map((id) => {
    const stack = new Stack(app, id);
    new AzurermProvider(stack, 'azurerm', { features: [{}] });
    return stack;
  });
  const rg = new ResourceGroup(a, 'rg', { name: 'rg-a', location: 'westeurope' });
  new ResourceGroup(b, 'other', { name: rg.name, location: 'westeurope' });
  return app;
}

test("a cross-stack reference fails the synth with the stack's name, where cdktf would have added a remote state", () => {
  expect(() => crossStackApp(StableAddressStack).synth()).toThrow("Stack b references what it does not declare: azurerm_resource_group.rg. Stacks of this library never reference another stack's resources");
  // the same two stacks as plain cdktf stacks: the preparing pass turns the reference into a remote state
  const plain = crossStackApp(TerraformStack);
  plain.synth();
  expect(Object.keys(JSON.parse(readFileSync(join(plain.outdir, 'stacks', 'b', 'cdk.tf.json'), 'utf8')).data)).toEqual(['terraform_remote_state']);
});

// every synth runs the check (StableAddressStack.toTerraform), so every test that synthesizes the
// fixtures or random environments holds it too; this one reads the example's output directly
test("the example's stacks reference only what they declare", () => {
  for (const [name, text] of Object.entries(exampleStacks())) expect([name, foreignReferences(JSON.parse(text))]).toEqual([name, []]);
});
