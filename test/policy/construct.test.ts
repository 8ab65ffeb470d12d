/**
 * The policy pack in a library user's own app: PolicyAspect fails `app.synth()` on an unsuppressed
 * error and names rule, resource and fix; suppressPolicy on a construct covers every resource under
 * it, needs a real reason and a known rule, and the suppression is reported as a warning.
 */
import { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
import { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
import { Annotations, App, Aspects, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { constructSuppressions, PolicyAspect, suppressPolicy } from '../../lib/policy/construct';
import { tempDir } from '../helpers';

/** A user's app: one stack with a storage account inside a construct of their own. */
function userApp(configure?: (store: Construct) => void) {
  const app = new App({ outdir: tempDir('ase-aspect-') });
  const stack = new TerraformStack(app, 'team-stack');
  new AzurermProvider(stack, 'azurerm', { features: [{}] });
  const data = new Construct(stack, 'data');
  new StorageAccount(data, 'account', {
    name: 'stteamdata',
    resourceGroupName: 'rg-team',
    location: 'westeurope',
    accountTier: 'Standard',
    accountReplicationType: 'ZRS',
    sharedAccessKeyEnabled: false, // ASE-ST-001: Entra ID only, no anonymous containers
    allowNestedItemsToBePublic: false,
    networkRules: { defaultAction: 'Deny' }, // ASE-ST-002
    tags: { owner: 'team' },
  });
  configure?.(data);
  Aspects.of(stack).add(new PolicyAspect({ requiredTags: ['owner'] }));
  return { app, stack };
}

test('an unsuppressed error fails the synth with rule, resource and fix', () => {
  const { app } = userApp();
  expect(() => app.synth()).toThrow(/ASE-STATE-001 team-stack:azurerm_storage_account\.data_account_[0-9A-F]+: no lifecycle prevent_destroy.*\(fix: lifecycle prevent_destroy/);
});

test('a suppression on a construct covers the resources under it and is reported as a warning', () => {
  const { app, stack } = userApp((data) => suppressPolicy(data, 'ASE-STATE-001', 'scratch data, rebuilt nightly from the warehouse'));
  const warn = jest.spyOn(Annotations.prototype, 'addWarning');
  expect(() => app.synth()).not.toThrow();
  expect(warn.mock.calls.map((c) => c[0])).toEqual([
    // a user's own account, outside the environment's stacks: nothing sends its metrics to a workspace
    expect.stringMatching(/^suppressed ASE-STATE-001 team-stack:azurerm_storage_account\.data_account_[0-9A-F]+: .*\(reason: scratch data, rebuilt nightly from the warehouse\)$/),
    expect.stringMatching(/^warning ASE-MON-001 team-stack:azurerm_storage_account\.data_account_[0-9A-F]+: no diagnostic setting/),
  ]);
  warn.mockRestore();
  expect(constructSuppressions(stack)).toEqual([{ rule: 'ASE-STATE-001', resource: expect.stringMatching(/^team-stack:azurerm_storage_account\.data_account/), reason: 'scratch data, rebuilt nightly from the warehouse' }]);
});

test('a suppression needs a known rule and a reason', () => {
  const { stack } = userApp();
  expect(() => suppressPolicy(stack, 'ASE-STATE-001', 'because')).toThrow(/needs a reason of at least 10 characters/);
  expect(() => suppressPolicy(stack, 'ASE-NOPE-001', 'a perfectly good reason')).toThrow(/unknown rule 'ASE-NOPE-001'/);
  expect(() => new PolicyAspect({ suppressions: [{ rule: 'ASE-STATE-001', resource: 'x:y.z', reason: '' }] })).toThrow(/needs a reason/);
});
