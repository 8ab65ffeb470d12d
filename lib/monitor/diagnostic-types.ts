/** Which resource types take diagnostic settings, and what each sends (pure: the policy pack reads it). */

/** What a resource type sends: its logs by category group (or none: some types have no resource logs), and its metrics. */
export interface DiagnosticsKind {
  readonly logs?: 'allLogs' | 'audit';
  readonly metrics: boolean;
}

/**
 * Resource types the library emits that take diagnostic settings, and what each sends (Azure
 * Monitor "Supported resource log categories" and the types' metric pages): the policy pack's
 * ASE-MON-001 requires one on each. Scale sets and private endpoints have no resource logs, and
 * their platform metrics need no setting. The NAT gateway (Standard) takes none: Azure refuses a
 * diagnostic setting on it (MicrosoftDocs/azure-docs PR 126397, 2025: "diagnostics setting isn't
 * supported for NATGateway"; its metrics are read through the metrics API). A storage account's logs are on its blob service
 * (`<account>/blobServices/default`), its account holds only metrics.
 */
export const DIAGNOSTICS_BY_TYPE: Readonly<Record<string, DiagnosticsKind>> = {
  azurerm_key_vault: { logs: 'audit', metrics: true },
  azurerm_network_security_group: { logs: 'allLogs', metrics: false },
  azurerm_lb: { logs: 'allLogs', metrics: true },
  azurerm_virtual_network: { metrics: true },
  azurerm_public_ip: { logs: 'allLogs', metrics: true },
  azurerm_monitor_autoscale_setting: { logs: 'allLogs', metrics: true },
  azurerm_storage_account: { metrics: true },
};

