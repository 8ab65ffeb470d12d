/**
 * KeyVault: a Key Vault that is safe by default. RBAC authorization (never access policies),
 * purge protection, soft delete with a fixed retention, a firewall that denies by default and
 * admits only the given IP ranges (and subnets, if given), no trusted-services bypass,
 * destroy protection (`prevent_destroy`; soft delete with purge protection keeps a deleted vault and
 * its objects recoverable), data-plane roles for the deploying identity, each followed by a wait
 * for it to reach the data plane, and audit logs to Log Analytics when a workspace is given.
 *
 * No management lock: a CanNotDelete lock on the vault blocks deleting any role assignment or
 * diagnostic setting at or below it (`ScopeLocked`), and grants live there (the deployer's, and each
 * consumer's on its one secret): removing a secret setting or a certificate, or changing the
 * deployer, would fail. Purge protection already means a deleted vault comes back
 * (`az keyvault recover`) and nobody can destroy its contents early.
 *
 * The environment's VMs reach the vault through a private endpoint (`PrivateLink`, in the vault
 * stack), which the firewall does not filter, so the firewall names no VM subnet: a subnet rule per
 * service would change the vault whenever a service is added. Terraform reaches the data plane
 * through an IP rule on the public endpoint, which stays on for it. azurerm 4.55 sends a subnet
 * rule with `ignoreMissingVnetServiceEndpoint` unset, so Azure refuses a subnet without the
 * `Microsoft.KeyVault` service endpoint.
 */
import { KeyVault as AzureKeyVault, KeyVaultCertificateContacts, MonitorDiagnosticSetting, RoleAssignment } from '../runtime/azurerm';
import type { Sleep } from '../runtime/time';
import { Construct } from 'constructs';
import { GRANT_WAIT, waitForGrant } from '../core/grant-wait';

/** Props of {@link KeyVault}. */
export interface KeyVaultProps {
  /** The vault's globally unique name (see `environmentNames().keyVault`). */
  readonly name: string;
  /** The resource group it is created in. */
  readonly resourceGroupName: string;
  /** The Azure region, e.g. 'westeurope'. */
  readonly location: string;
  /** The Entra ID tenant that authorizes access (RBAC). */
  readonly tenantId: string;
  /** Days deleted items stay recoverable; fixed at creation. @default 90 */
  readonly softDeleteRetentionDays?: number;
  /**
   * Subnets admitted by the firewall (each needs the Microsoft.KeyVault service endpoint).
   * @default - none (VMs come in through a private endpoint, which the firewall does not filter)
   */
  readonly allowedSubnetIds?: readonly string[];
  /** Public ranges admitted by the firewall (the deployer's). @default - none */
  readonly allowedIpRanges?: readonly string[];
  /** The identity that runs Terraform: granted the certificate and secret officer roles. */
  readonly deployer?: {
    /** Its object ID. */
    readonly principalId: string;
    /** What kind of principal it is. */
    readonly principalType: 'ServicePrincipal' | 'User' | 'Group';
  };
  /** @default - no diagnostics */
  readonly logAnalyticsWorkspaceId?: string;
  /** Who hears of expiring certificates. @default - no one */
  readonly contacts?: readonly string[];
  /**
   * How long the deployer's new or changed grants are waited for before the vault's data-plane
   * writes (a Terraform duration). @default '5m' (`GRANT_WAIT.deployerWrites`)
   */
  readonly grantWait?: string;
  /** @default - none */
  readonly tags?: Record<string, string>;
}

/** The deployer's data-plane roles on the vault. */
export const DEPLOYER_ROLES = ['Key Vault Certificates Officer', 'Key Vault Secrets Officer'] as const;

/**
 * A Key Vault that is safe by default: RBAC, purge protection, soft delete, a firewall that denies
 * by default, destroy protection (`prevent_destroy`, purge protection), data-plane roles for the
 * deployer and a wait for them, audit logs when a workspace is given.
 */
export class KeyVault extends Construct {
  /** The vault's resource ID (a Terraform reference). */
  public readonly keyVaultId: string;
  /** The vault's name (a Terraform reference). */
  public readonly keyVaultName: string;
  /** The vault's URI, `https://<name>.vault.azure.net/` (a Terraform reference). */
  public readonly vaultUri: string;
  /** The deployer's role grants. */
  public readonly dataPlaneGrants: readonly RoleAssignment[];
  /**
   * The waits for the deployer's grants (one `time_sleep` each): data-plane objects (certificates,
   * contacts) depend on these, not on the grants, so they are written once the grants are effective.
   */
  public readonly dataPlaneReady: readonly Sleep[];

  constructor(scope: Construct, id: string, props: KeyVaultProps) {
    super(scope, id);
    const vault = new AzureKeyVault(this, 'vault', {
      name: props.name,
      resourceGroupName: props.resourceGroupName,
      location: props.location,
      tenantId: props.tenantId,
      skuName: 'standard',
      rbacAuthorizationEnabled: true,
      purgeProtectionEnabled: true,
      softDeleteRetentionDays: props.softDeleteRetentionDays ?? 90,
      publicNetworkAccessEnabled: true, // for the deployer's IP rules; default action is Deny
      networkAcls: {
        defaultAction: 'Deny',
        bypass: 'None',
        virtualNetworkSubnetIds: [...(props.allowedSubnetIds ?? [])],
        ipRules: [...(props.allowedIpRanges ?? [])],
      },
      tags: props.tags,
      lifecycle: { preventDestroy: true },
    });
    const vaultId = vault.id; // read once: one token
    const deployer = props.deployer;
    this.dataPlaneGrants = deployer
      ? DEPLOYER_ROLES.map(
          (role) =>
            new RoleAssignment(this, `deployer-${role.split(' ')[2].toLowerCase()}`, {
              scope: vaultId,
              roleDefinitionName: role,
              principalId: deployer.principalId,
              principalType: deployer.principalType,
            }),
        )
      : [];
    this.dataPlaneReady = this.dataPlaneGrants.map((g) => waitForGrant(g, props.grantWait ?? GRANT_WAIT.deployerWrites));
    if (props.contacts && props.contacts.length > 0) {
      new KeyVaultCertificateContacts(this, 'contacts', {
        keyVaultId: vaultId,
        contact: props.contacts.map((email) => ({ email })),
        dependsOn: [...this.dataPlaneReady],
      });
    }
    if (props.logAnalyticsWorkspaceId) {
      new MonitorDiagnosticSetting(this, 'diagnostics', {
        name: 'audit-to-log-analytics',
        targetResourceId: vaultId,
        logAnalyticsWorkspaceId: props.logAnalyticsWorkspaceId,
        enabledLog: [{ categoryGroup: 'audit' }],
        enabledMetric: [{ category: 'AllMetrics' }],
      });
    }
    this.keyVaultId = vaultId;
    this.keyVaultName = vault.name;
    this.vaultUri = vault.vaultUri;
  }
}
