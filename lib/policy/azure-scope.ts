/**
 * Azure resource IDs of synthesized Terraform expressions (pure), so that rules can compare scopes
 * across stacks: a lock's scope is a reference in its own stack (`${azurerm_key_vault.v.id}`),
 * while a grant in another stack names the same vault by its static ID (`/subscriptions/…/vaults/
 * kv-retail-1a2b3c/secrets/db`). A reference resolves when the resource it names is one of the
 * types below and its name and resource group are literals or resolve in turn; anything else
 * (data sources, computed attributes, functions) does not resolve.
 */
import type { Json } from './rules';

const REF = /\$\{([^}]*)\}/g;
const SIMPLE = /^([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)$/;

/** The ARM provider namespace and type of the resources that sit directly in a resource group. */
const PROVIDER_TYPES: Readonly<Record<string, string>> = {
  azurerm_network_security_group: 'Microsoft.Network/networkSecurityGroups',
  azurerm_lb: 'Microsoft.Network/loadBalancers',
  azurerm_virtual_network: 'Microsoft.Network/virtualNetworks',
  azurerm_nat_gateway: 'Microsoft.Network/natGateways',
  azurerm_public_ip: 'Microsoft.Network/publicIPAddresses',
  azurerm_monitor_autoscale_setting: 'Microsoft.Insights/autoscaleSettings',
  azurerm_log_analytics_workspace: 'Microsoft.OperationalInsights/workspaces',
};

/** The `azurerm` provider's subscription in a stack, if it is a literal. */
function subscriptionOf(stack: Json): string | undefined {
  const p = stack.provider?.azurerm;
  const first = Array.isArray(p) ? p[0] : p;
  const id = first?.subscription_id;
  return typeof id === 'string' && !id.includes('${') ? id : undefined;
}

/** The ARM ID of `type.address` in `stack`, when its type is known and its parts resolve. */
function idOf(type: string, address: string, stack: Json, depth: number): string | undefined {
  const body = stack.resource?.[type]?.[address] as Json | undefined;
  if (!body) return undefined;
  const field = (name: string) => (typeof body[name] === 'string' ? resolveAzureId(body[name], stack, depth + 1) : undefined);
  const group = () => {
    const sub = subscriptionOf(stack);
    const rg = field('resource_group_name');
    return sub && rg ? `/subscriptions/${sub}/resourceGroups/${rg}` : undefined;
  };
  const name = field('name');
  if (!name) return undefined;
  switch (type) {
    case 'azurerm_resource_group': {
      const sub = subscriptionOf(stack);
      return sub ? `/subscriptions/${sub}/resourceGroups/${name}` : undefined;
    }
    case 'azurerm_key_vault': {
      const rg = group();
      return rg && `${rg}/providers/Microsoft.KeyVault/vaults/${name}`;
    }
    case 'azurerm_storage_account': {
      const rg = group();
      return rg && `${rg}/providers/Microsoft.Storage/storageAccounts/${name}`;
    }
    case 'azurerm_network_security_group':
    case 'azurerm_lb':
    case 'azurerm_virtual_network':
    case 'azurerm_nat_gateway':
    case 'azurerm_public_ip':
    case 'azurerm_monitor_autoscale_setting':
    case 'azurerm_log_analytics_workspace': {
      const rg = group();
      return rg && `${rg}/providers/${PROVIDER_TYPES[type]}/${name}`;
    }
    case 'azurerm_storage_container': {
      // with storage_account_id the provider manages it through Resource Manager: an ARM child
      const account = field('storage_account_id');
      return account && `${account}/blobServices/default/containers/${name}`;
    }
    default:
      return undefined;
  }
}

/**
 * The Azure ID a synthesized string stands for in `stack`: the literal itself, or with each
 * `${<type>.<address>.<attribute>}` replaced (`id` by the resource's ARM ID, other attributes by
 * their literal value); undefined when any part does not resolve.
 */
export function resolveAzureId(expr: string, stack: Json, depth = 0): string | undefined {
  if (depth > 8) return undefined;
  let failed = false;
  const out = expr.replace(REF, (_m, inner: string) => {
    const ref = SIMPLE.exec(inner.trim());
    if (!ref) return ((failed = true), '');
    const [, type, address, attr] = ref;
    if (attr === 'id') return idOf(type, address, stack, depth) ?? ((failed = true), '');
    const v = stack.resource?.[type]?.[address]?.[attr];
    const resolved = typeof v === 'string' ? resolveAzureId(v, stack, depth + 1) : undefined;
    return resolved ?? ((failed = true), '');
  });
  return failed ? undefined : out;
}

/** Whether `id` is `scope` or below it (Azure IDs compare case-insensitively). */
export function isAtOrUnder(id: string, scope: string): boolean {
  const a = id.toLowerCase().replace(/\/+$/, '');
  const b = scope.toLowerCase().replace(/\/+$/, '');
  return a === b || a.startsWith(`${b}/`);
}
