/**
 * Azure resource IDs built from names (pure). Stacks share these static IDs instead of
 * cross-stack references, so a stack never needs another stack's state to plan.
 */
const rg = (subscriptionId: string, resourceGroup: string) => `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;

export const azureIds = {
  virtualNetwork: (subscriptionId: string, resourceGroup: string, vnet: string) => `${rg(subscriptionId, resourceGroup)}/providers/Microsoft.Network/virtualNetworks/${vnet}`,
  subnet: (subscriptionId: string, resourceGroup: string, vnet: string, subnet: string) =>
    `${rg(subscriptionId, resourceGroup)}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${subnet}`,
  userAssignedIdentity: (subscriptionId: string, resourceGroup: string, name: string) =>
    `${rg(subscriptionId, resourceGroup)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`,
  keyVault: (subscriptionId: string, resourceGroup: string, name: string) => `${rg(subscriptionId, resourceGroup)}/providers/Microsoft.KeyVault/vaults/${name}`,
  logAnalyticsWorkspace: (subscriptionId: string, resourceGroup: string, name: string) => `${rg(subscriptionId, resourceGroup)}/providers/Microsoft.OperationalInsights/workspaces/${name}`,
  dataCollectionRule: (subscriptionId: string, resourceGroup: string, name: string) => `${rg(subscriptionId, resourceGroup)}/providers/Microsoft.Insights/dataCollectionRules/${name}`,
  actionGroup: (subscriptionId: string, resourceGroup: string, name: string) => `${rg(subscriptionId, resourceGroup)}/providers/Microsoft.Insights/actionGroups/${name}`,
  storageAccount: (subscriptionId: string, resourceGroup: string, name: string) => `${rg(subscriptionId, resourceGroup)}/providers/Microsoft.Storage/storageAccounts/${name}`,
};
