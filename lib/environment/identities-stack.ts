/**
 * Every consumer's user-assigned identity and the data-plane roles it needs (`<env>-identities`),
 * in a stack applied before the scale sets that use them. A role assignment can take minutes to
 * reach Key Vault or Storage after Terraform sees it: granted in the same apply as the VMs that
 * need it, the first boot would fail. Here the grant is one stack earlier, and each grant is
 * followed by a `time_sleep` (`GRANT_WAIT.vmReads`, triggered by the grant's ID), so this stack's
 * apply ends only once its new grants are effective: the compute and front stacks deployed after
 * it find them working. An unchanged grant costs nothing on later applies; a removed one no wait.
 *
 * - each slot of each service or pool: its identity, Storage Blob Data Reader on the artifact
 *   store when the slot downloads a release, and Key Vault Secrets User on each secret its
 *   services' settings name (that secret only; it must exist before this stack is deployed);
 * - the front: its identity, and Key Vault Secrets User on the TLS certificate's secret (that one
 *   secret, not the vault) when the front serves HTTPS.
 * Other stacks name these identities by their static resource IDs (`frontIdentity`,
 * `slotIdentity`), never by reference.
 */
import { RoleAssignment, UserAssignedIdentity } from '../runtime/azurerm';
import { Construct } from 'constructs';
import { azureIds } from '../core/azure-ids';
import { GRANT_WAIT, waitForGrant } from '../core/grant-wait';
import { PLATFORM_PARTS } from '../spec/names';
import type { EnvironmentPlan } from '../spec/plan';
import { SLOT_NAMES, type SlotName } from '../spec/schema';
import { EnvironmentStack } from './environment-stack';

/** The front's identity: name and static resource ID. */
export function frontIdentity(plan: EnvironmentPlan) {
  const name = `id-${plan.env.name}-front`;
  return { name, resourceGroupName: plan.names.resourceGroup(PLATFORM_PARTS.identities), id: azureIds.userAssignedIdentity(plan.env.subscriptionId, plan.names.resourceGroup(PLATFORM_PARTS.identities), name) };
}

/** A slot's identity (of a placement part): name and static resource ID. */
export function slotIdentity(plan: EnvironmentPlan, part: string, slot: SlotName) {
  const name = plan.placementNames[part].identity[slot];
  return { name, id: azureIds.userAssignedIdentity(plan.env.subscriptionId, plan.names.resourceGroup(PLATFORM_PARTS.identities), name) };
}

/**
 * `<env>-identities`: every slot's and the front's user-assigned identity and their data-plane
 * grants, applied before the VMs that use them.
 */
export class IdentitiesStack extends EnvironmentStack {
  constructor(scope: Construct, plan: EnvironmentPlan) {
    super(scope, plan, PLATFORM_PARTS.identities);
    const { env, names } = plan;
    const resourceGroupName = this.resourceGroup(PLATFORM_PARTS.identities).name;
    for (const placement of plan.placements) {
      const tags = { ...plan.tags, ...placement.tags };
      for (const slot of SLOT_NAMES) {
        const scope = new Construct(this, `${placement.part}-${slot}`);
        const identity = new UserAssignedIdentity(scope, 'identity', { name: slotIdentity(plan, placement.part, slot).name, resourceGroupName, location: env.region, tags: { ...tags, slot } });
        // each Key Vault secret a service on these VMs reads, granted on that secret only
        // a certificate is read through its secret, so both are granted the same way
        const secrets = [
          ...new Set(placement.services.flatMap((svc) => [...Object.values(svc.settings).flatMap((v) => (typeof v === 'string' ? [] : [v.secret])), ...svc.certificates])),
        ].sort();
        for (const secret of secrets) {
          const grant = new RoleAssignment(scope, `secret-${secret}`, {
            scope: `${azureIds.keyVault(env.subscriptionId, names.resourceGroup(PLATFORM_PARTS.vault), names.keyVault)}/secrets/${secret}`,
            roleDefinitionName: 'Key Vault Secrets User',
            principalId: identity.principalId,
            principalType: 'ServicePrincipal',
            description: `${placement.label} ${slot}: read the secret ${secret}`,
          });
          waitForGrant(grant, GRANT_WAIT.vmReads);
        }
        if (env.artifactStore && placement.services.some((svc) => svc.slots[slot].artifact)) {
          const grant = new RoleAssignment(scope, 'artifact-reader', {
            scope: env.artifactStore.storageAccountId,
            roleDefinitionName: 'Storage Blob Data Reader',
            principalId: identity.principalId,
            principalType: 'ServicePrincipal',
            description: `${placement.label} ${slot}: read release artifacts`,
          });
          waitForGrant(grant, GRANT_WAIT.vmReads);
        }
      }
    }
    const front = new Construct(this, 'front');
    const identity = new UserAssignedIdentity(front, 'identity', { name: frontIdentity(plan).name, resourceGroupName, location: env.region, tags: plan.tags });
    const tls = env.front.tlsCertificate;
    if (tls && env.keyVault) {
      const vaultId = azureIds.keyVault(env.subscriptionId, names.resourceGroup(PLATFORM_PARTS.vault), names.keyVault);
      const grant = new RoleAssignment(front, 'tls-reader', {
        scope: `${vaultId}/secrets/${tls}`,
        roleDefinitionName: 'Key Vault Secrets User',
        principalId: identity.principalId,
        principalType: 'ServicePrincipal',
        description: `front: read the TLS certificate ${tls}`,
      });
      waitForGrant(grant, GRANT_WAIT.vmReads);
    }
  }
}
