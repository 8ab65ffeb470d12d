/**
 * Azure's apply-time rules, checked on two synth outputs (before and after a change): what
 * Terraform would plan is legal, but Azure refuses it, or it loses state, or it races an
 * eventually consistent grant. Pure over parsed `cdk.tf.json` documents (no cdktf); the review
 * (`ase review`) turns the findings into blockers and warnings, each with its reason and source.
 *
 * - lock: a resource deleted (or replaced) at or under the scope of a CanNotDelete or ReadOnly
 *   management lock, or updated under a ReadOnly one. Locks are control-plane: data-plane objects
 *   (vault certificates and secrets, blobs) are not protected by them and are not flagged.
 * - subnet: a subnet deleted while a scale set, NIC, load-balancer frontend or private endpoint
 *   in any stack, before or after, still uses it (a consumer in the same stack that names it by
 *   reference is ordered by Terraform and is fine).
 * - vanished: a stack that left the synth with resources in it.
 * - stateful: a stateful resource (vault, certificate, secret, storage account, container,
 *   resource group, egress IP, lock) destroyed or replaced; a retired stack's own resource group,
 *   deleted when the stack is emptied, is not (the provider refuses to delete a group that holds
 *   resources it does not manage).
 * - grant: a data-plane write created in the same apply as the role assignment that allows it,
 *   with no `time_sleep` between them that waits in this apply.
 *
 * Scopes are compared as Azure resource IDs, case-insensitively: static IDs as written, and
 * references within a stack (`${azurerm_key_vault.v.id}`, `${azurerm_resource_group.rg.name}`)
 * resolved to the ID or name the referenced resource's configuration gives.
 */
import { diffStack, type ResourceChange } from './config-diff';
import { isStateful, stateLossReason } from './stateful';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

/** Two synth outputs as the review reads them: stack name → its cdk.tf.json. */
export interface StacksLike {
  readonly stacks: Readonly<Record<string, JsonObject>>;
}

export type AzureRule = 'lock' | 'subnet' | 'vanished' | 'stateful' | 'grant';

/** One apply-time trap. */
export interface AzureFinding {
  readonly rule: AzureRule;
  /** 'block': the apply fails or loses state; 'warn': it may fail, or a reviewer should know. */
  readonly severity: 'block' | 'warn';
  /** `<stack>:<type>.<name>`, or `<stack>` for a whole stack. */
  readonly resource: string;
  readonly reason: string;
  /** Where Azure or the provider says so. */
  readonly source: string;
}

export const SOURCES = {
  lock: 'Azure: a CanNotDelete lock blocks deleting role assignments at or below its scope (ScopeLocked; MicrosoftDocs/azure-docs#110791); provider issues #11770, #7668',
  lockData: 'Azure Storage docs (lock-account-resource): a lock on an account does not protect its containers or blobs; locks are control-plane only',
  subnet: 'Azure: InUseSubnetCannotBeDeleted (aka.ms/deletesubnet); provider issues #4784, #400',
  vanished: 'Terraform deletes only what a configuration it runs names; a stack left out of the synth is never applied again (docs/lifecycle.md)',
  stateful: 'docs/lifecycle.md; docs/operating.md (tear down an environment)',
  resourceGroup: 'azurerm 4.55 internal/services/resource/resource_group_resource.go: features.resource_group.prevent_deletion_if_contains_resources, true by default (internal/features/defaults.go)',
  grant: 'Azure RBAC: a role assignment can take minutes to take effect; the provider does not retry the 403 (provider issue #23927)',
} as const;

/** Data-plane objects: management locks do not protect them, and writing them needs a data-plane role. */
const DATA_PLANE = new Set(['azurerm_key_vault_certificate', 'azurerm_key_vault_certificate_contacts', 'azurerm_key_vault_secret', 'azurerm_key_vault_key', 'azurerm_key_vault_certificate_issuer', 'azurerm_storage_blob']);
/** Data-plane writes Terraform makes as the deployer. */
const WRITES = new Set(['azurerm_key_vault_certificate', 'azurerm_key_vault_certificate_contacts', 'azurerm_key_vault_secret', 'azurerm_storage_blob']);

/** Resource types with a plain ARM ID under their resource group. */
const PROVIDER_PATH: Readonly<Record<string, string>> = {
  azurerm_key_vault: 'Microsoft.KeyVault/vaults',
  azurerm_storage_account: 'Microsoft.Storage/storageAccounts',
  azurerm_virtual_network: 'Microsoft.Network/virtualNetworks',
  azurerm_network_security_group: 'Microsoft.Network/networkSecurityGroups',
  azurerm_nat_gateway: 'Microsoft.Network/natGateways',
  azurerm_public_ip: 'Microsoft.Network/publicIPAddresses',
  azurerm_lb: 'Microsoft.Network/loadBalancers',
  azurerm_network_interface: 'Microsoft.Network/networkInterfaces',
  azurerm_private_endpoint: 'Microsoft.Network/privateEndpoints',
  azurerm_linux_virtual_machine_scale_set: 'Microsoft.Compute/virtualMachineScaleSets',
  azurerm_windows_virtual_machine_scale_set: 'Microsoft.Compute/virtualMachineScaleSets',
  azurerm_orchestrated_virtual_machine_scale_set: 'Microsoft.Compute/virtualMachineScaleSets',
  azurerm_user_assigned_identity: 'Microsoft.ManagedIdentity/userAssignedIdentities',
  azurerm_monitor_autoscale_setting: 'Microsoft.Insights/autoscaleSettings',
};

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const REF = /\$\{((?:data\.)?[a-z0-9_]+\.[A-Za-z0-9_-]+)(?:\.([a-z0-9_]+))?[^}]*\}/g;

interface Res {
  readonly stack: string;
  readonly type: string;
  readonly name: string;
  readonly body: JsonObject;
}

/** One stack's resources, and how to resolve its references to IDs and names. */
class StackIndex {
  readonly resources = new Map<string, Res>();
  private readonly subscription: string;
  private readonly resolving = new Set<string>();

  constructor(readonly stack: string, config: JsonObject | undefined) {
    const block = config?.resource;
    if (isObject(block)) {
      for (const [type, byName] of Object.entries(block)) {
        if (!isObject(byName)) continue;
        for (const [name, body] of Object.entries(byName)) if (isObject(body)) this.resources.set(`${type}.${name}`, { stack, type, name, body });
      }
    }
    const providers = isObject(config?.provider) ? (config!.provider as JsonObject).azurerm : undefined;
    const first = Array.isArray(providers) ? providers[0] : providers;
    this.subscription = isObject(first) && typeof first.subscription_id === 'string' ? first.subscription_id : '?';
  }

  /** A string attribute with references resolved; an unresolved one stays, qualified by the stack. */
  resolve(value: Json | undefined): string | undefined {
    if (typeof value !== 'string') return undefined;
    return value.replace(REF, (whole, address: string, attr: string | undefined) => {
      const r = this.resources.get(address);
      const got = r && attr === 'id' ? this.idOf(r) : r && attr === 'name' ? this.resolve(r.body.name) : undefined;
      return got ?? `{${this.stack}}${whole}`;
    });
  }

  /** A resource's ARM ID, as far as its configuration gives it. */
  idOf(r: Res): string | undefined {
    const key = `${r.type}.${r.name}`;
    if (this.resolving.has(key)) return undefined;
    this.resolving.add(key);
    try {
      const name = this.resolve(r.body.name);
      const rg = this.resolve(r.body.resource_group_name);
      const group = rg !== undefined ? `/subscriptions/${this.subscription}/resourceGroups/${rg}` : undefined;
      if (r.type === 'azurerm_resource_group') return name !== undefined ? `/subscriptions/${this.subscription}/resourceGroups/${name}` : undefined;
      if (r.type === 'azurerm_subnet') {
        const vnet = this.resolve(r.body.virtual_network_name);
        return group && vnet && name ? `${group}/providers/Microsoft.Network/virtualNetworks/${vnet}/subnets/${name}` : undefined;
      }
      if (r.type === 'azurerm_storage_container') {
        const account = this.resolve(r.body.storage_account_id);
        return account && name ? `${account}/blobServices/default/containers/${name}` : undefined;
      }
      const path = PROVIDER_PATH[r.type];
      if (path && group && name) return `${group}/providers/${path}/${name}`;
      // anything else: placed in its resource group, so a lock on the group covers it
      return group && name ? `${group}/providers/(${r.type})/${name}` : undefined;
    } finally {
      this.resolving.delete(key);
    }
  }

  /** Where a resource sits for a lock: a role assignment or lock at its scope, else its own ID. */
  positionOf(r: Res): string | undefined {
    if (r.type === 'azurerm_role_assignment' || r.type === 'azurerm_management_lock') return this.resolve(r.body.scope);
    if (r.type === 'azurerm_monitor_diagnostic_setting') return this.resolve(r.body.target_resource_id);
    return this.idOf(r);
  }

  /** Addresses this resource depends on: `depends_on` and every reference in its body. */
  edges(r: Res): string[] {
    const out = new Set<string>();
    const deps = r.body.depends_on;
    if (Array.isArray(deps)) for (const d of deps) if (typeof d === 'string') out.add(d.replace(/^\$\{|\}$/g, ''));
    const walk = (v: Json) => {
      if (typeof v === 'string') for (const m of v.matchAll(REF)) out.add(m[1]);
      else if (Array.isArray(v)) v.forEach(walk);
      else if (isObject(v)) for (const [k, x] of Object.entries(v)) if (k !== '//' && k !== 'depends_on') walk(x);
    };
    walk(r.body);
    return [...out];
  }
}

const lower = (s: string) => s.toLowerCase();
/** `id` is `scope` or below it. */
const under = (id: string, scope: string) => lower(id) === lower(scope) || lower(id).startsWith(`${lower(scope)}/`);

interface Side {
  readonly index: Map<string, StackIndex>;
}

const sideOf = (o: StacksLike): Side => ({ index: new Map(Object.entries(o.stacks).map(([name, config]) => [name, new StackIndex(name, config)])) });

const subnetIdsOf = (idx: StackIndex, r: Res): Array<{ id: string; raw: string }> => {
  const out: Array<{ id: string; raw: string }> = [];
  const walk = (v: Json) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'subnet_id' && typeof x === 'string') out.push({ id: idx.resolve(x)!, raw: x });
        else if (k !== '//') walk(x);
      }
    }
  };
  walk(r.body);
  return out;
};

/** What uses a subnet's addresses: NICs (scale sets, NICs), load-balancer frontends, private endpoints. */
const SUBNET_CONSUMERS = new Set(['azurerm_linux_virtual_machine_scale_set', 'azurerm_windows_virtual_machine_scale_set', 'azurerm_orchestrated_virtual_machine_scale_set', 'azurerm_network_interface', 'azurerm_lb', 'azurerm_private_endpoint']);

/** A trap the change avoids: checked, and fine, and worth a reviewer's knowing. */
export interface AzureCheck {
  readonly rule: AzureRule;
  readonly text: string;
  readonly source: string;
}

/** Every Azure apply-time trap between two synth outputs, in stack and address order. */
export function azureRuleFindings(before: StacksLike, after: StacksLike): AzureFinding[] {
  return azureRuleReport(before, after).findings;
}

/** The findings, and the traps the change was checked against and avoids. */
export function azureRuleReport(before: StacksLike, after: StacksLike): { findings: AzureFinding[]; checks: AzureCheck[] } {
  const a = sideOf(before);
  const b = sideOf(after);
  const findings: AzureFinding[] = [];
  const checks: AzureCheck[] = [];
  const stacks = [...new Set([...a.index.keys(), ...b.index.keys()])].sort();

  // vanished stacks: resources nothing will ever destroy
  for (const stack of stacks) {
    const was = a.index.get(stack);
    const now = b.index.get(stack);
    if (was && now && was.resources.size > 0 && now.resources.size === 0) {
      const subnets = [...new Set([...was.resources.values()].filter((r) => SUBNET_CONSUMERS.has(r.type)).flatMap((r) => subnetIdsOf(was, r).map((x) => x.id)))];
      const kept = subnets.filter((id) => [...b.index.values()].some((o) => [...o.resources.values()].some((r) => r.type === 'azurerm_subnet' && lower(o.idOf(r) ?? '') === lower(id))));
      const name = (id: string) => id.split('/').pop();
      checks.push({
        rule: 'vanished',
        text: `${stack} stays in the synth with no resources, so cdktf deploy destroys its ${was.resources.size} resources (retired)${kept.length > 0 ? `; the subnet${kept.length > 1 ? 's' : ''} its scale sets and load balancers used (${kept.map(name).join(', ')}) stay${kept.length > 1 ? '' : 's'} until a later change removes the entry` : ''}`,
        source: SOURCES.vanished,
      });
    }
    if (was && !now && was.resources.size === 0) checks.push({ rule: 'vanished', text: `${stack} leaves the synth empty (retired in an earlier change): nothing is orphaned; its state file can be deleted`, source: SOURCES.vanished });
    if (!was || now || was.resources.size === 0) continue;
    const types = [...new Set([...was.resources.values()].map((r) => r.type))].sort();
    findings.push({
      rule: 'vanished',
      severity: 'block',
      resource: stack,
      reason: `leaves the synth with ${was.resources.size} resources in it (${types.join(', ')}): cdktf can no longer destroy them, and a subnet their NICs use can no longer be deleted. Retire first: set retired: true on its entry and deploy (the stack stays, emptied), then remove the entry in a later change`,
      source: SOURCES.vanished,
    });
  }

  // per stack present on both sides: what Terraform deletes, replaces, updates and creates
  const changes = new Map<string, ResourceChange[]>();
  for (const stack of stacks) if (a.index.has(stack) && b.index.has(stack)) changes.set(stack, diffStack(before.stacks[stack], after.stacks[stack]));
  const removed = (stack: string) => (changes.get(stack) ?? []).filter((c) => c.action === 'delete' || c.action === 'replace');

  // locks from either side, with their scopes as IDs
  const locks: Array<{ stack: string; address: string; level: string; scope: string }> = [];
  for (const side of [a, b]) {
    for (const idx of side.index.values()) {
      for (const r of idx.resources.values()) {
        if (r.type !== 'azurerm_management_lock') continue;
        const scope = idx.resolve(r.body.scope);
        const level = typeof r.body.lock_level === 'string' ? r.body.lock_level : '';
        if (scope && (level === 'CanNotDelete' || level === 'ReadOnly') && !locks.some((l) => l.stack === idx.stack && l.address === `${r.type}.${r.name}`)) locks.push({ stack: idx.stack, address: `${r.type}.${r.name}`, level, scope });
      }
    }
  }
  for (const stack of stacks) {
    const idx = a.index.get(stack)!;
    for (const c of changes.get(stack) ?? []) {
      if (c.action === 'create' || c.type === 'azurerm_management_lock' || DATA_PLANE.has(c.type)) continue;
      const deletes = c.action === 'delete' || c.action === 'replace';
      const r = idx.resources.get(c.address)!;
      const pos = idx.positionOf(r);
      if (!pos) continue;
      for (const l of locks) {
        if (!under(pos, l.scope) || (!deletes && l.level !== 'ReadOnly')) continue;
        const what = c.action === 'replace' ? 'replaces (deletes, then creates)' : c.action === 'delete' ? 'deletes' : 'updates';
        findings.push({
          rule: 'lock',
          severity: 'block',
          resource: `${stack}:${c.address}`,
          reason: `${what} a resource at or under the scope of the ${l.level} lock ${l.stack}:${l.address}${r.type === 'azurerm_role_assignment' ? ' (a role assignment on the locked scope)' : ''}: Azure refuses it with ScopeLocked, so the apply fails. Keep it, or lift the lock for that one apply`,
          source: SOURCES.lock,
        });
        break;
      }
    }
  }

  // control-plane deletions checked against the locks (data-plane objects are outside their reach)
  const deletedCount = stacks.reduce((n, st) => n + removed(st).filter((c) => c.type.startsWith('azurerm_') && c.type !== 'azurerm_management_lock' && !DATA_PLANE.has(c.type)).length, 0);
  if (locks.length > 0 && deletedCount > 0 && !findings.some((f) => f.rule === 'lock')) {
    checks.push({
      rule: 'lock',
      text: `${deletedCount} resource${deletedCount === 1 ? '' : 's'} deleted or replaced, none at or under the lock${locks.length === 1 ? '' : 's'} ${locks.map((l) => `${l.stack}:${l.address} (${l.level})`).join(', ')}`,
      source: SOURCES.lock,
    });
  }
  if (locks.length === 0 && deletedCount > 0) {
    checks.push({
      rule: 'lock',
      text: `${deletedCount} resource${deletedCount === 1 ? '' : 's'} deleted or replaced, and no CanNotDelete or ReadOnly lock in the synth stands above ${deletedCount === 1 ? 'it' : 'them'} (the vault and the front's store carry none by design: prevent_destroy, soft delete and purge protection protect them, docs/apply-order.md)`,
      source: SOURCES.lock,
    });
  }
  // data-plane objects deleted under a lock's scope: the lock does not stop it (their soft delete may keep them)
  for (const stack of stacks) {
    const idx = a.index.get(stack)!;
    for (const c of removed(stack).filter((x) => x.action === 'delete' && DATA_PLANE.has(x.type))) {
      const r = idx.resources.get(c.address)!;
      const parent = idx.resolve(r.body.key_vault_id) ?? (() => {
        const acct = idx.resolve(r.body.storage_account_name);
        const res = [...idx.resources.values()].find((x) => x.type === 'azurerm_storage_account' && acct !== undefined && lower(idx.resolve(x.body.name) ?? '') === lower(acct));
        return res ? idx.idOf(res) : undefined;
      })();
      const lock = parent ? locks.find((l) => under(parent, l.scope)) : undefined;
      if (lock) checks.push({ rule: 'lock', text: `${stack}:${c.address} is deleted through the data plane, which the ${lock.level} lock ${lock.stack}:${lock.address} does not stop (it protects only the resource it is on and control-plane children)`, source: SOURCES.lockData });
    }
  }

  // subnets deleted while something still uses their addresses
  for (const stack of stacks) {
    const idx = a.index.get(stack)!;
    for (const c of removed(stack).filter((x) => x.type === 'azurerm_subnet')) {
      const subnet = idx.resources.get(c.address)!;
      const id = idx.idOf(subnet);
      if (!id) continue;
      const users: string[] = [];
      for (const [side, label] of [[b, 'after'], [a, 'before']] as const) {
        for (const other of side.index.values()) {
          for (const r of other.resources.values()) {
            if (!SUBNET_CONSUMERS.has(r.type)) continue;
            const uses = subnetIdsOf(other, r).filter((s) => lower(s.id) === lower(id));
            if (uses.length === 0) continue;
            // Terraform orders a delete against a reference in its own stack
            if (other.stack === stack && uses.every((u) => u.raw.includes(`azurerm_subnet.${subnet.name}.`))) continue;
            const where = `${other.stack}:${r.type}.${r.name}`;
            const gone = label === 'before' && !(b.index.get(other.stack)?.resources.has(`${r.type}.${r.name}`) ?? false);
            const text = gone ? `${where} (${b.index.has(other.stack) ? 'deleted by another stack\'s apply, after this one' : 'in a stack that left the synth'})` : where;
            if (!users.some((u) => u.startsWith(where))) users.push(text);
          }
        }
      }
      if (users.length === 0) {
        checks.push({ rule: 'subnet', text: `${stack}:${c.address} is deleted with no NIC, scale set or load-balancer frontend left in it`, source: SOURCES.subnet });
        continue;
      }
      findings.push({
        rule: 'subnet',
        severity: 'block',
        resource: `${stack}:${c.address}`,
        reason: `${c.action === 'replace' ? 'replaces' : 'deletes'} a subnet that ${users.join(', ')} still use${users.length === 1 ? 's' : ''}: Azure refuses with InUseSubnetCannotBeDeleted. Retire what runs in it first (retired: true, deployed), then remove the entry`,
        source: SOURCES.subnet,
      });
    }
  }

  // stateful resources destroyed or replaced (a retired, emptied stack's resource group only warns);
  // a stack that left the synth counts too: `cdktf destroy` on it, the old way out, destroys them
  const vanishedStateful = (stack: string): ResourceChange[] =>
    b.index.has(stack) ? [] : [...(a.index.get(stack)?.resources.values() ?? [])].map((r) => ({ address: `${r.type}.${r.name}`, type: r.type, action: 'delete' as const, changes: [] }));
  for (const stack of stacks) {
    const emptied = b.index.has(stack) && b.index.get(stack)!.resources.size === 0;
    for (const c of [...removed(stack), ...vanishedStateful(stack)]) {
      if (!isStateful(c.type)) continue;
      if (c.type === 'azurerm_resource_group' && emptied && c.action === 'delete') {
        checks.push({
          rule: 'stateful',
          text: `${stack}:${c.address}, the resource group of a stack a retirement empties, is deleted: the provider refuses to delete a group that still holds resources it does not manage, so nothing outside the stack is lost`,
          source: SOURCES.resourceGroup,
        });
        continue;
      }
      findings.push({ rule: 'stateful', severity: 'block', resource: `${stack}:${c.address}`, reason: stateLossReason(c.action as 'delete' | 'replace', c.type), source: SOURCES.stateful });
    }
  }

  // data-plane writes created in the same apply as their grant, with no wait between them
  for (const stack of stacks) {
    const idx = b.index.get(stack)!;
    if (!idx) continue;
    const old = a.index.get(stack);
    const fresh = (address: string) => {
      if (!old?.resources.has(address)) return true;
      return (changes.get(stack) ?? []).some((c) => c.address === address && c.action === 'replace');
    };
    const grants = [...idx.resources.values()].filter((r) => r.type === 'azurerm_role_assignment' && fresh(`${r.type}.${r.name}`));
    if (grants.length === 0) continue;
    // each new or replaced grant whose wait is triggered by its ID waits again in this apply
    const sleeps = [...idx.resources.values()].filter((r) => r.type === 'time_sleep');
    for (const g of grants) {
      const ref = `\${${g.type}.${g.name}.id}`;
      const sleep = sleeps.find((t) => Object.values((t.body.triggers ?? {}) as Record<string, unknown>).includes(ref));
      if (sleep) checks.push({ rule: 'grant', text: `${stack}:${g.type}.${g.name} is ${old?.resources.has(`${g.type}.${g.name}`) ? 'replaced' : 'new'}: its wait time_sleep.${sleep.name} (${String(sleep.body.create_duration)}) is made again with it, so everything that depends on the grant waits for it to propagate`, source: SOURCES.grant });
    }
    for (const w of [...idx.resources.values()].filter((r) => WRITES.has(r.type) && fresh(`${r.type}.${r.name}`))) {
      const target = targetOf(idx, w);
      if (!target) continue;
      for (const g of grants) {
        if (!allows(idx, g, target)) continue;
        const gAddress = `${g.type}.${g.name}`;
        const sleep = waitsBetween(idx, w, gAddress, fresh);
        if (sleep) {
          checks.push({ rule: 'grant', text: `${stack}:${w.type}.${w.name} waits for ${gAddress} through ${sleep}`, source: SOURCES.grant });
          break;
        }
        const role = typeof g.body.role_definition_name === 'string' ? ` (${g.body.role_definition_name})` : '';
        findings.push({
          rule: 'grant',
          severity: 'warn',
          resource: `${stack}:${w.type}.${w.name}`,
          reason: `is written in the same apply that creates ${gAddress}${role}, which allows the write, with no time_sleep between them: Azure can take minutes to honour a new role assignment and the provider does not retry the 403, so the apply may fail part-way (a later run succeeds). Put a time_sleep (created with the grant) on the path from the write to the grant`,
          source: SOURCES.grant,
        });
        break;
      }
    }
  }

  const rank: Record<AzureRule, number> = { vanished: 0, stateful: 1, subnet: 2, lock: 3, grant: 4 };
  const order = (f: AzureFinding) => `${f.resource.split(':')[0]}\u0000${rank[f.rule]}\u0000${f.resource}`;
  return { findings: findings.sort((x, y) => order(x).localeCompare(order(y), 'en', { numeric: true })), checks };
}

/** What a data-plane write writes into: the vault, or the storage account (and container). */
function targetOf(idx: StackIndex, w: Res): { kind: 'vault' | 'storage'; id?: string; account?: string; container?: string } | undefined {
  if (w.type.startsWith('azurerm_key_vault_')) {
    const id = idx.resolve(w.body.key_vault_id);
    return id ? { kind: 'vault', id } : undefined;
  }
  const account = idx.resolve(w.body.storage_account_name);
  const container = idx.resolve(w.body.storage_container_name);
  const accountRes = [...idx.resources.values()].find((r) => r.type === 'azurerm_storage_account' && account !== undefined && lower(idx.resolve(r.body.name) ?? '') === lower(account));
  return account ? { kind: 'storage', account, container, id: accountRes ? idx.idOf(accountRes) : undefined } : undefined;
}

/** The role assignment grants a data-plane role whose scope covers the target. */
function allows(idx: StackIndex, g: Res, t: NonNullable<ReturnType<typeof targetOf>>): boolean {
  const role = typeof g.body.role_definition_name === 'string' ? g.body.role_definition_name : '';
  const scope = idx.resolve(g.body.scope);
  if (!scope) return false;
  if (t.kind === 'vault') return /^Key Vault (Administrator|Certificates Officer|Secrets Officer)$/.test(role) && t.id !== undefined && (under(t.id, scope) || under(scope, t.id));
  if (!/^Storage Blob Data (Contributor|Owner)$/.test(role)) return false;
  if (t.id !== undefined && under(t.id, scope)) return true;
  const s = lower(scope);
  const acct = `/storageaccounts/${lower(t.account!)}`;
  return s.endsWith(acct) || s.includes(`${acct}/`);
}

/**
 * A `time_sleep` that waits in this apply lies on a path from the write to the grant: created (or
 * replaced) in this change, with a create_duration, or replaced because its triggers name the grant.
 */
function waitsBetween(idx: StackIndex, w: Res, grant: string, fresh: (address: string) => boolean): string | undefined {
  const reaches = (from: string, to: string): boolean => {
    const seen = new Set<string>([from]);
    const queue = [from];
    while (queue.length > 0) {
      const cur = queue.shift()!;
      if (cur === to) return true;
      const r = idx.resources.get(cur);
      if (!r) continue;
      for (const e of idx.edges(r)) if (!seen.has(e)) (seen.add(e), queue.push(e));
    }
    return false;
  };
  const writeAddress = `${w.type}.${w.name}`;
  for (const s of idx.resources.values()) {
    if (s.type !== 'time_sleep' || typeof s.body.create_duration !== 'string') continue;
    const address = `${s.type}.${s.name}`;
    const triggers = JSON.stringify(s.body.triggers ?? null).includes(`\${${grant}.`);
    if (!fresh(address) && !triggers) continue;
    if (reaches(writeAddress, address) && reaches(address, grant)) return address;
  }
  return undefined;
}

const RULE_TITLE: Readonly<Record<AzureRule, string>> = {
  lock: 'lock',
  subnet: 'subnet in use',
  vanished: 'stack left the synth',
  stateful: 'state loss',
  grant: 'grant propagation',
};

/** The review's section: every trap this change blocks on, warns of, or was checked against and avoids. */
export function azureChecksText(findings: readonly AzureFinding[], checks: readonly AzureCheck[]): string | undefined {
  if (findings.length === 0 && checks.length === 0) return undefined;
  const tick = (s: string) => `\`${s}\``;
  const lines = [
    '### Azure apply-time checks',
    '',
    // a blocker's reason is in the callout above; here its rule and source
    ...findings.map((f) => (f.severity === 'block' ? `- **blocks** (${RULE_TITLE[f.rule]}): ${tick(f.resource)}, as above. Source: ${f.source}.` : `- **warning** (${RULE_TITLE[f.rule]}): ${tick(f.resource)} ${f.reason}. Source: ${f.source}.`)),
    ...checks.map((c) => `- avoided (${RULE_TITLE[c.rule]}): ${c.text}. Source: ${c.source}.`),
    '',
  ];
  return lines.join('\n');
}

// ---- plan mode: the same rules on `terraform show -json` of one stack's plan ----

interface PlanRc {
  readonly address: string;
  readonly type: string;
  readonly mode?: string;
  readonly change: { readonly actions: readonly string[]; readonly before?: Json; readonly after?: Json };
}

/** Addresses a configuration resource depends on: depends_on and every expression reference. */
function planEdges(doc: JsonObject): Map<string, { deps: string[]; refs: Record<string, string[]>; config: JsonObject }> {
  const out = new Map<string, { deps: string[]; refs: Record<string, string[]>; config: JsonObject }>();
  const addressOf = (ref: string) => {
    const parts = ref.split('.');
    return parts[0] === 'data' ? parts.slice(0, 3).join('.') : parts.slice(0, 2).join('.');
  };
  const visit = (module: Json | undefined) => {
    if (!isObject(module)) return;
    for (const r of Array.isArray(module.resources) ? module.resources : []) {
      if (!isObject(r) || typeof r.address !== 'string') continue;
      const refs: Record<string, string[]> = {};
      const collect = (v: Json | undefined, key: string) => {
        if (Array.isArray(v)) v.forEach((x) => collect(x, key));
        else if (isObject(v)) {
          if (Array.isArray(v.references)) refs[key] = [...(refs[key] ?? []), ...v.references.filter((x): x is string => typeof x === 'string').map(addressOf)];
          for (const [k, x] of Object.entries(v)) if (k !== 'references') collect(x, key === '' ? k : key);
        }
      };
      collect(r.expressions, '');
      const deps = (Array.isArray(r.depends_on) ? r.depends_on : []).filter((x): x is string => typeof x === 'string').map(addressOf);
      out.set(r.address, { deps: [...new Set([...deps, ...Object.values(refs).flat()])], refs, config: r });
    }
    for (const c of isObject(module.module_calls) ? Object.values(module.module_calls) : []) if (isObject(c)) visit(c.module);
  };
  visit(isObject(doc.configuration) ? (doc.configuration as JsonObject).root_module : undefined);
  return out;
}

const valueOf = (rc: PlanRc, key: string, side: 'before' | 'after' = 'before'): string | undefined => {
  const v = rc.change[side];
  return isObject(v) && typeof v[key] === 'string' ? (v[key] as string) : undefined;
};

/**
 * Azure's apply-time rules on a plan of one stack: deletes under a lock (scopes as the state
 * knows them), a subnet deleted while a resource the plan keeps still uses it, and data-plane
 * writes created with their grant and no `time_sleep` between them (from the plan's
 * configuration). Other stacks are not in a plan: compare or git-ref mode sees across them.
 */
export function azurePlanReport(plan: Readonly<Record<string, unknown>>): { findings: AzureFinding[]; checks: AzureCheck[] } {
  const doc = plan as JsonObject;
  const rcs = (Array.isArray(doc.resource_changes) ? doc.resource_changes : []).filter((x): x is JsonObject => isObject(x)) as unknown as PlanRc[];
  const managed = rcs.filter((r) => r.mode !== 'data' && isObject(r.change as unknown as Json));
  const findings: AzureFinding[] = [];
  const deletes = (r: PlanRc) => r.change.actions.includes('delete');
  const creates = (r: PlanRc) => r.change.actions.includes('create');
  const locks = managed
    .filter((r) => r.type === 'azurerm_management_lock')
    .map((r) => ({ address: r.address, level: valueOf(r, 'lock_level') ?? valueOf(r, 'lock_level', 'after') ?? '', scope: valueOf(r, 'scope') ?? valueOf(r, 'scope', 'after') }))
    .filter((l): l is { address: string; level: string; scope: string } => l.scope !== undefined && (l.level === 'CanNotDelete' || l.level === 'ReadOnly'));
  for (const r of managed) {
    if (r.type === 'azurerm_management_lock' || DATA_PLANE.has(r.type)) continue;
    const updates = r.change.actions.includes('update');
    if (!deletes(r) && !updates) continue;
    const pos = r.type === 'azurerm_role_assignment' ? valueOf(r, 'scope') : r.type === 'azurerm_monitor_diagnostic_setting' ? valueOf(r, 'target_resource_id') : valueOf(r, 'id');
    const lock = pos ? locks.find((l) => under(pos, l.scope) && (deletes(r) || l.level === 'ReadOnly')) : undefined;
    if (!lock) continue;
    findings.push({
      rule: 'lock',
      severity: 'block',
      resource: r.address,
      reason: `${deletes(r) ? (creates(r) ? 'replaces (deletes, then creates)' : 'deletes') : 'updates'} a resource at or under the scope of the ${lock.level} lock ${lock.address}: Azure refuses it with ScopeLocked, so the apply fails. Keep it, or lift the lock for that one apply`,
      source: SOURCES.lock,
    });
  }
  for (const s of managed.filter((r) => r.type === 'azurerm_subnet' && deletes(r))) {
    const id = valueOf(s, 'id');
    if (!id) continue;
    const users = managed.filter((r) => SUBNET_CONSUMERS.has(r.type) && !deletes(r) && JSON.stringify(r.change.after ?? null).toLowerCase().includes(`"${lower(id)}"`)).map((r) => r.address);
    if (users.length === 0) continue;
    findings.push({ rule: 'subnet', severity: 'block', resource: s.address, reason: `deletes a subnet that ${users.join(', ')} still use${users.length === 1 ? 's' : ''}: Azure refuses with InUseSubnetCannotBeDeleted`, source: SOURCES.subnet });
  }
  const graph = planEdges(doc);
  const byAddress = new Map(managed.map((r) => [r.address, r]));
  const reaches = (from: string, to: string) => {
    const seen = new Set([from]);
    const queue = [from];
    while (queue.length > 0) {
      const cur = queue.shift()!;
      if (cur === to) return true;
      for (const e of graph.get(cur)?.deps ?? []) if (!seen.has(e)) (seen.add(e), queue.push(e));
    }
    return false;
  };
  const grants = managed.filter((r) => r.type === 'azurerm_role_assignment' && creates(r));
  const sleeps = managed.filter((r) => r.type === 'time_sleep' && creates(r));
  for (const w of managed.filter((r) => WRITES.has(r.type) && creates(r))) {
    const wRefs = graph.get(w.address)?.refs ?? {};
    const target = w.type.startsWith('azurerm_key_vault_') ? { key: 'key_vault_id', value: valueOf(w, 'key_vault_id', 'after') } : { key: 'storage_account_name', value: valueOf(w, 'storage_account_name', 'after') };
    for (const g of grants) {
      const role = valueOf(g, 'role_definition_name', 'after') ?? '';
      const roleFits = w.type.startsWith('azurerm_key_vault_') ? /^Key Vault (Administrator|Certificates Officer|Secrets Officer)$/.test(role) : /^Storage Blob Data (Contributor|Owner)$/.test(role);
      if (!roleFits) continue;
      const scope = valueOf(g, 'scope', 'after');
      const gRefs = graph.get(g.address)?.refs.scope ?? [];
      const byValue = scope !== undefined && target.value !== undefined && (target.key === 'key_vault_id' ? under(target.value, scope) || under(scope, target.value) : lower(scope).includes(`/storageaccounts/${lower(target.value)}`));
      // unknown scopes (a vault or account created in this apply): matched through the configuration
      const accountNamed = (y: string) => byAddress.get(y)?.type === 'azurerm_storage_account' && target.value !== undefined && lower(valueOf(byAddress.get(y)!, 'name', 'after') ?? '') === lower(target.value);
      const byRef = (wRefs[target.key] ?? []).some((x) => gRefs.includes(x)) || (target.key === 'storage_account_name' && gRefs.some(accountNamed));
      if (!byValue && !byRef) continue;
      if (sleeps.some((s) => reaches(w.address, s.address) && reaches(s.address, g.address))) continue;
      findings.push({
        rule: 'grant',
        severity: 'warn',
        resource: w.address,
        reason: `is written in the same apply that creates ${g.address} (${role}), which allows the write, with no time_sleep between them: Azure can take minutes to honour a new role assignment and the provider does not retry the 403, so the apply may fail part-way`,
        source: SOURCES.grant,
      });
      break;
    }
  }
  return { findings, checks: [] };
}
