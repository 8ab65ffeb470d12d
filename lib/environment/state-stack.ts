/**
 * Bootstrap of the Azure Storage state backend, when the spec names one: the storage account
 * (blob versioning, soft delete of blobs and containers, TLS 1.2, Entra ID only, no public blobs, a
 * firewall that admits only the deployer's ranges),
 * its container, a lifecycle rule that deletes previous state versions after
 * STATE_VERSION_RETENTION_DAYS (a secret once in a state, an imported certificate's key, does not
 * live forever in its history; docs/state.md), a CanNotDelete lock, and the deployer's Storage
 * Blob Data Contributor on the state's resource group (above the lock, so the lock never blocks
 * removing it), waited for before the stack's apply ends: every other stack's `terraform init`
 * reads its state with Entra ID (`use_azuread_auth`), which Contributor alone does not allow. It
 * keeps its own state locally (it creates the backend
 * the others use): deploy it once, first, with `cdktf deploy <env>-state`.
 */
import { ManagementLock, ResourceGroup, RoleAssignment, StorageAccount, StorageContainer, StorageManagementPolicy } from '../runtime/azurerm';
import type { Construct } from 'constructs';
import { GRANT_WAIT, waitForGrant } from '../core/grant-wait';
import { firewallIpRules } from '../spec/cidr';
import { PLATFORM_PARTS } from '../spec/names';
import type { EnvironmentPlan } from '../spec/plan';
import { EnvironmentStack } from './environment-stack';

export const STATE_SOFT_DELETE_DAYS = 30;

/**
 * Days a previous version of a state blob is kept (counted from when it was written): long enough
 * to roll back a bad apply, bounded so that what a state once held goes. The current version of
 * every state is never touched.
 */
export const STATE_VERSION_RETENTION_DAYS = 90;

/** `<env>-state`: the Azure Storage account that holds every other stack's state (local state itself). */
export class StateStack extends EnvironmentStack {
  constructor(scope: Construct, plan: EnvironmentPlan) {
    super(scope, plan, PLATFORM_PARTS.state, { localState: true, storageUseAzuread: true });
    const backend = plan.env.stateBackend;
    if (!backend) throw new Error('StateStack needs env.stateBackend');
    const rg = new ResourceGroup(this, 'resource-group', { name: backend.resourceGroupName, location: plan.env.region, tags: plan.tags });
    const account = new StorageAccount(this, 'storage', {
      name: backend.storageAccountName,
      resourceGroupName: rg.name,
      location: plan.env.region,
      accountTier: 'Standard',
      accountReplicationType: plan.zones.length > 0 ? 'ZRS' : 'LRS',
      minTlsVersion: 'TLS1_2',
      httpsTrafficOnlyEnabled: true,
      allowNestedItemsToBePublic: false,
      sharedAccessKeyEnabled: false,
      defaultToOauthAuthentication: true,
      crossTenantReplicationEnabled: false,
      infrastructureEncryptionEnabled: true,
      // only the deployer reads and writes state, from its declared ranges (as it writes the
      // vault's certificates and the front's blobs): every other network is refused, where
      // without network_rules the account admits all of them (checkov CKV_AZURE_59; ASE-ST-002)
      networkRules: { defaultAction: 'Deny', bypass: ['None'], ipRules: firewallIpRules(plan.env.deployer.ipRanges) },
      blobProperties: {
        versioningEnabled: true,
        deleteRetentionPolicy: { days: STATE_SOFT_DELETE_DAYS },
        containerDeleteRetentionPolicy: { days: STATE_SOFT_DELETE_DAYS },
      },
      tags: plan.tags,
      lifecycle: { preventDestroy: true },
    });
    new StorageContainer(this, 'container', { name: backend.containerName, storageAccountId: account.id, containerAccessType: 'private' });
    // the other stacks' backend reads and writes state blobs with the deployer's Entra ID token
    const deployerState = new RoleAssignment(this, 'deployer-state', {
      scope: rg.id,
      roleDefinitionName: 'Storage Blob Data Contributor',
      principalId: plan.env.deployer.principalId,
      principalType: 'ServicePrincipal',
      description: 'Terraform reads and writes the state of every stack',
    });
    waitForGrant(deployerState, GRANT_WAIT.deployerWrites);
    new StorageManagementPolicy(this, 'state-versions', {
      storageAccountId: account.id,
      rule: [
        {
          name: 'expire-previous-state-versions',
          enabled: true,
          filters: { blobTypes: ['blockBlob'], prefixMatch: [`${backend.containerName}/`] },
          actions: { version: { deleteAfterDaysSinceCreation: STATE_VERSION_RETENTION_DAYS } },
        },
      ],
    });
    // the lock stays: nothing the synth makes is granted or diagnosed at or below this account
    // (ASE-STATE-002 would flag it), so it never blocks an ordinary change. Grant the deployer's
    // access to state at the resource group or above, never on the account.
    new ManagementLock(this, 'storage-lock', {
      name: 'do-not-delete-terraform-state',
      scope: account.id,
      lockLevel: 'CanNotDelete',
      notes: 'Holds the Terraform state of every stack of this environment',
    });
  }
}
