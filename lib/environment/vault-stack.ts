/**
 * The environment's Key Vault, in its own stack so that destroying or replacing anything else
 * never touches it. The VMs reach it through a private endpoint in the endpoints subnet, with the
 * `privatelink.vaultcore.azure.net` zone linked to the VNet; its firewall admits only the
 * deployer's ranges. Nothing here names a service, so adding or removing one leaves this stack's
 * synth byte-identical.
 */
import type { Construct } from 'constructs';
import { azureIds } from '../core/azure-ids';
import { PrivateLink } from '../network/private-endpoint';
import { PLATFORM_PARTS } from '../spec/names';
import type { EnvironmentPlan } from '../spec/plan';
import { certificateKeyUsages, terraformVariableOf } from '../spec/certificates';
import { firewallIpRules } from '../spec/cidr';
import { KeyVaultCertificate } from '../vault/certificate';
import { KeyVault } from '../vault/key-vault';
import { EnvironmentStack } from './environment-stack';

/**
 * `<env>-vault`: the environment's Key Vault and its certificates (protected from destroy). The
 * certificates and contacts wait for the deployer's grants to reach the data plane.
 */
export class VaultStack extends EnvironmentStack {
  /** The vault. */
  public readonly vault: KeyVault;
  /** Its certificates, by name. */
  public readonly certificates: Readonly<Record<string, KeyVaultCertificate>>;

  constructor(scope: Construct, plan: EnvironmentPlan) {
    super(scope, plan, PLATFORM_PARTS.vault);
    const { env, names, ips } = plan;
    const kv = env.keyVault;
    if (!kv) throw new Error('VaultStack needs env.keyVault');
    const networkRg = names.resourceGroup(PLATFORM_PARTS.network);
    const resourceGroupName = this.resourceGroup(PLATFORM_PARTS.vault).name;
    this.vault = new KeyVault(this, 'key-vault', {
      name: names.keyVault,
      resourceGroupName,
      location: env.region,
      tenantId: env.tenantId,
      softDeleteRetentionDays: kv.softDeleteRetentionDays,
      allowedIpRanges: firewallIpRules(env.deployer.ipRanges),
      deployer: env.deployer,
      logAnalyticsWorkspaceId: kv.logAnalyticsWorkspaceId,
      contacts: kv.contacts,
      tags: plan.tags,
    });
    // the VMs' way in: one endpoint for the whole VNet, whatever services it holds
    new PrivateLink(this, 'private-link', {
      resourceGroupName,
      location: env.region,
      name: `pe-${names.keyVault}`,
      subnetId: azureIds.subnet(env.subscriptionId, networkRg, names.virtualNetwork, ips.endpoints.name),
      virtualNetworkId: azureIds.virtualNetwork(env.subscriptionId, networkRg, names.virtualNetwork),
      resourceId: this.vault.keyVaultId,
      subresource: 'vault',
      dnsZoneName: 'privatelink.vaultcore.azure.net',
      tags: plan.tags,
    });
    const certificates: Record<string, KeyVaultCertificate> = {};
    for (const c of kv.certificates) {
      certificates[c.name] = new KeyVaultCertificate(this, `certificate-${c.name}`, {
        keyVaultId: this.vault.keyVaultId,
        name: c.name,
        issuer: c.issuer,
        importPath: c.importFrom?.path,
        importPasswordVariable: c.importFrom?.passwordEnv === undefined ? undefined : terraformVariableOf(c.importFrom.passwordEnv),
        extendedKeyUsage: certificateKeyUsages(c),
        subject: c.subject,
        dnsNames: c.dnsNames,
        keyType: c.keyType,
        keySize: c.keySize,
        validityMonths: c.validityMonths,
        renewBeforeDays: c.renewBeforeDays,
        // the front's agent hands the secret to nginx as it is: PEM (key and chain); services'
        // certificates reach their VMs through the Key Vault extension, which reads either
        secretFormat: c.name === env.front.tlsCertificate ? 'pem' : undefined,
        dependsOn: this.vault.dataPlaneReady,
      });
    }
    this.certificates = certificates;
    // a vault whose audit log the spec sends to a workspace of its own has its setting already (keyVault.logAnalyticsWorkspaceId)
    this.sendDiagnostics(kv.logAnalyticsWorkspaceId ? ['azurerm_key_vault'] : []);
  }
}
