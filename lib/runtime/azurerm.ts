/**
 * The import seam for the azurerm provider's bindings (docs/runtimes.md): each resource type the
 * library emits, by its deep module (never the package barrel, which loads all 1,500 of them).
 * The CDK Terrain build rewrites `@cdktf/provider-azurerm` to `@cdktn/provider-azurerm` here.
 */
export { DataAzurermKeyVaultCertificate } from '@cdktf/provider-azurerm/lib/data-azurerm-key-vault-certificate';
export { DataAzurermPlatformImage } from '@cdktf/provider-azurerm/lib/data-azurerm-platform-image';
export { DataAzurermUserAssignedIdentity } from '@cdktf/provider-azurerm/lib/data-azurerm-user-assigned-identity';
export { KeyVault } from '@cdktf/provider-azurerm/lib/key-vault';
export { KeyVaultCertificate } from '@cdktf/provider-azurerm/lib/key-vault-certificate';
export { KeyVaultCertificateContacts } from '@cdktf/provider-azurerm/lib/key-vault-certificate-contacts';
export { Lb } from '@cdktf/provider-azurerm/lib/lb';
export { LbBackendAddressPool } from '@cdktf/provider-azurerm/lib/lb-backend-address-pool';
export { LbNatRule } from '@cdktf/provider-azurerm/lib/lb-nat-rule';
export { LbProbe } from '@cdktf/provider-azurerm/lib/lb-probe';
export { LbRule } from '@cdktf/provider-azurerm/lib/lb-rule';
export { LinuxVirtualMachineScaleSet } from '@cdktf/provider-azurerm/lib/linux-virtual-machine-scale-set';
export { LogAnalyticsWorkspace } from '@cdktf/provider-azurerm/lib/log-analytics-workspace';
export { LogAnalyticsWorkspaceTableCustomLog } from '@cdktf/provider-azurerm/lib/log-analytics-workspace-table-custom-log';
export { ManagementLock } from '@cdktf/provider-azurerm/lib/management-lock';
export { MonitorActionGroup } from '@cdktf/provider-azurerm/lib/monitor-action-group';
export { MonitorAutoscaleSetting, type MonitorAutoscaleSettingProfileRule } from '@cdktf/provider-azurerm/lib/monitor-autoscale-setting';
export { MonitorDataCollectionRule } from '@cdktf/provider-azurerm/lib/monitor-data-collection-rule';
export type { MonitorDataCollectionRuleDataSources } from '@cdktf/provider-azurerm/lib/monitor-data-collection-rule';
export { MonitorDataCollectionRuleAssociation } from '@cdktf/provider-azurerm/lib/monitor-data-collection-rule-association';
export { MonitorDiagnosticSetting } from '@cdktf/provider-azurerm/lib/monitor-diagnostic-setting';
export { MonitorMetricAlert } from '@cdktf/provider-azurerm/lib/monitor-metric-alert';
export { MonitorScheduledQueryRulesAlertV2 } from '@cdktf/provider-azurerm/lib/monitor-scheduled-query-rules-alert-v2';
export { NatGateway } from '@cdktf/provider-azurerm/lib/nat-gateway';
export { NatGatewayPublicIpAssociation } from '@cdktf/provider-azurerm/lib/nat-gateway-public-ip-association';
export { NetworkSecurityGroup } from '@cdktf/provider-azurerm/lib/network-security-group';
export { NetworkSecurityRule } from '@cdktf/provider-azurerm/lib/network-security-rule';
export { OrchestratedVirtualMachineScaleSet } from '@cdktf/provider-azurerm/lib/orchestrated-virtual-machine-scale-set';
export { PrivateDnsARecord } from '@cdktf/provider-azurerm/lib/private-dns-a-record';
export { PrivateDnsZone } from '@cdktf/provider-azurerm/lib/private-dns-zone';
export { PrivateDnsZoneVirtualNetworkLink } from '@cdktf/provider-azurerm/lib/private-dns-zone-virtual-network-link';
export { PrivateEndpoint } from '@cdktf/provider-azurerm/lib/private-endpoint';
export { AzurermProvider } from '@cdktf/provider-azurerm/lib/provider';
export { PublicIp } from '@cdktf/provider-azurerm/lib/public-ip';
export { ResourceGroup } from '@cdktf/provider-azurerm/lib/resource-group';
export { ResourceGroupPolicyAssignment } from '@cdktf/provider-azurerm/lib/resource-group-policy-assignment';
export { ResourceGroupPolicyRemediation } from '@cdktf/provider-azurerm/lib/resource-group-policy-remediation';
export { RoleAssignment } from '@cdktf/provider-azurerm/lib/role-assignment';
export { StorageAccount } from '@cdktf/provider-azurerm/lib/storage-account';
export { StorageBlob } from '@cdktf/provider-azurerm/lib/storage-blob';
export { StorageContainer } from '@cdktf/provider-azurerm/lib/storage-container';
export { StorageManagementPolicy } from '@cdktf/provider-azurerm/lib/storage-management-policy';
export { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
export { SubnetNatGatewayAssociation } from '@cdktf/provider-azurerm/lib/subnet-nat-gateway-association';
export { SubnetNetworkSecurityGroupAssociation } from '@cdktf/provider-azurerm/lib/subnet-network-security-group-association';
export { UserAssignedIdentity } from '@cdktf/provider-azurerm/lib/user-assigned-identity';
export { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
export { VirtualNetworkPeering } from '@cdktf/provider-azurerm/lib/virtual-network-peering';
