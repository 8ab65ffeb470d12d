/**
 * Rules of the names concern: the region, tags as Azure counts and compares them, the resource
 * group template, every resource name the library derives against Azure's rules for its kind,
 * and names that must be unique (services, pools, endpoints, instance inputs on a pool).
 */
import { show, suggest, type Path } from '../issues';
import { computeNames, environmentNames, nameProblem, PLATFORM_PARTS, RESOURCE_GROUP_TOKENS, serviceNames, type ComputeNames, type NameKind } from '../names';
import { poolPart } from '../placement';
import { AZURE_REGIONS, REGION_NAMES } from '../regions';
import { SLOT_NAMES } from '../schema';
import { collect, isRecord, rawItem, under, type Add, type Findings, type SpecView } from './view';

/** The region is one Azure has, with a did-you-mean for a near miss. */
export function validateRegion(view: SpecView): Findings {
  return collect((add) => {
    const region = view.raw.region;
    if (typeof region === 'string' && region !== '' && !(region in AZURE_REGIONS)) {
      const normalized = region.toLowerCase().replace(/[\s_-]/g, '');
      add(['region'], {
        code: 'invalid_value',
        message: `unknown Azure region ${show(region)}`,
        value: region,
        hint: normalized in AZURE_REGIONS ? `did you mean '${normalized}'?` : suggest(normalized, REGION_NAMES) ?? 'use the region name as Azure CLI prints it, e.g. westeurope',
      });
    }
  });
}

/** One set of tags: names unique ignoring case, Azure's name and value rules, at most 50 on a resource. */
function checkTags(add: Add, path: Path, tags: Record<string, string> | undefined, inherited?: readonly string[]) {
  // Azure tag names are case-insensitive: 'Owner' and 'owner' are one tag, and the apply keeps one
  const byLower = new Map<string, string>();
  for (const k of Object.keys(tags ?? {})) {
    const prev = byLower.get(k.toLowerCase());
    if (prev !== undefined) add([...path, k], { code: 'duplicate', message: `tag name ${show(k)} is ${show(prev)} to Azure, whose tag names ignore case`, value: k, hint: 'keep one of them' });
    else byLower.set(k.toLowerCase(), k);
  }
  // azurerm counts bytes (go-azure-helpers tags.Validate: len() of the Go string, UTF-8)
  for (const [k, v] of Object.entries(tags ?? {})) {
    if (k.length === 0 || Buffer.byteLength(k, 'utf8') > 512 || /[<>%&\\?/]/.test(k)) {
      add([...path, k], { code: 'invalid_format', message: `tag name ${show(k)} breaks Azure's rule: 1-512 bytes (UTF-8), none of < > % & \\ ? /`, value: k });
    }
    const bytes = Buffer.byteLength(v, 'utf8');
    if (bytes > 256) add([...path, k], { code: 'too_big', message: `tag value is ${bytes} bytes (UTF-8), expected at most 256`, value: v });
  }
  // a resource takes at most 50 tags (tags.Validate); the library adds environment, managed-by and slot
  const names = new Set(['environment', 'managed-by', 'slot', ...[...(inherited ?? []), ...Object.keys(tags ?? {})].map((k) => k.toLowerCase())]);
  // a service's or pool's own tags are told only when they, not the environment's, go past 50
  const before = new Set(['environment', 'managed-by', 'slot', ...(inherited ?? []).map((k) => k.toLowerCase())]).size;
  if (names.size > 50 && (!inherited || before <= 50)) {
    add(path, { code: 'too_big', message: `gives a resource ${names.size} tags (with environment, managed-by and slot${inherited ? " and the environment's tags" : ''}); Azure allows 50`, hint: 'drop tags, or move detail into one tag value' });
  }
}

/** The environment's tags (and the ones requiredTags asks for), each pool's and each service's. */
export function validateTags(view: SpecView): Findings {
  return collect((add) => {
    const { env } = view;
    checkTags(add, ['tags'], env.tags);
    if (env.requiredTags && env.tags) {
      for (const key of env.requiredTags) {
        if (!env.tags[key]) {
          add(['tags'], {
            code: 'missing',
            message: `required tag '${key}' has no value`,
            hint: `requiredTags lists it; add tags: { ${JSON.stringify(key)}: '…' }`,
          });
        }
      }
    }
    const inherited = Object.keys(env.tags ?? {});
    for (const { index, p } of view.pools) checkTags(add, ['pools', index, 'tags'], p.tags, inherited);
    for (const { index, s } of view.services) checkTags(add, ['services', index, 'tags'], s.tags, inherited);
  });
}

const checkName = (add: Add, path: Path, kind: NameKind, value: string) => {
  const problem = nameProblem(kind, value);
  if (problem) add(path, { code: 'name_rule', message: problem, value });
};

/** Every name a set of VMs (a service's own, or a pool's) gives its resources, against Azure's rules. */
const checkComputeNames = (add: Add, path: Path, n: ComputeNames) => {
  for (const [kind, name] of [['resourceGroup', n.resourceGroup], ['stack', n.stack], ['subnet', n.subnet], ['networkSecurityGroup', n.nsg]] as const) checkName(add, path, kind, name);
  for (const slot of SLOT_NAMES) {
    checkName(add, path, 'scaleSet', n.scaleSet[slot]);
    checkName(add, path, 'loadBalancer', n.loadBalancer[slot]);
    checkName(add, path, 'userAssignedIdentity', n.identity[slot]);
  }
};

/** The resource group template, and the names of the environment's own resources derived from it and the name. */
export function validateEnvironmentNames(view: SpecView): Findings {
  return collect((add) => {
    const { env } = view;
    const rgTemplate = env.resourceGroupName;
    if (rgTemplate !== undefined) {
      if (!rgTemplate.includes('{part}')) {
        add(['resourceGroupName'], {
          code: 'invalid_value',
          message: `${show(rgTemplate)} has no {part}, so every stack would share one resource group`,
          value: rgTemplate,
          hint: "keep '{part}' in it, e.g. 'rg-{env}-{part}'",
        });
      }
      const unknown = rgTemplate.match(/\{[^}]*\}/g)?.filter((t) => !(RESOURCE_GROUP_TOKENS as readonly string[]).includes(t)) ?? [];
      if (unknown.length > 0) {
        add(['resourceGroupName'], {
          code: 'invalid_value',
          message: `unknown placeholder ${unknown.map((t) => `'${t}'`).join(', ')}`,
          value: rgTemplate,
          hint: `allowed: ${RESOURCE_GROUP_TOKENS.join(', ')}`,
        });
      }
    }
    if (env.name !== undefined && env.subscriptionId !== undefined && rgTemplate !== undefined) {
      const names = environmentNames({ name: env.name, subscriptionId: env.subscriptionId, resourceGroupName: rgTemplate });
      for (const part of Object.values(PLATFORM_PARTS)) checkName(add, ['resourceGroupName'], 'resourceGroup', names.resourceGroup(part));
      checkName(add, ['name'], 'virtualNetwork', names.virtualNetwork);
      checkName(add, ['name'], 'natGateway', names.natGateway);
      checkName(add, ['name'], 'publicIp', names.natPublicIp);
      checkName(add, ['name'], 'keyVault', names.keyVault);
      for (const part of Object.values(PLATFORM_PARTS)) checkName(add, ['name'], 'stack', names.stack(part));
    }
  });
}

/**
 * Pools: unique names, the names of their resources, and instance input endpoints of the services
 * on a pool unique on it (each is a NAT rule on the pool's load balancers).
 */
export function validatePoolNames(view: SpecView): Findings {
  return collect((add) => {
    const { env } = view;
    const poolNames = new Map<string, number>();
    for (const { index, p } of view.pools) {
      if (p.name === undefined) continue;
      const at = under('pools', index);
      const prev = poolNames.get(p.name);
      if (prev !== undefined) add(at('name'), { code: 'duplicate', message: `${show(p.name)} is already the name of pools[${prev}]`, value: p.name });
      else poolNames.set(p.name, index);
      if (env.name !== undefined && env.resourceGroupName !== undefined) {
        checkComputeNames(add, at('name'), computeNames({ name: env.name, resourceGroupName: env.resourceGroupName }, poolPart(p.name), poolPart(p.name)));
      }
      const seen = new Map<string, string>();
      for (const { s } of view.services.filter(({ s }) => s.pool === p.name)) {
        for (const e of s.endpoints?.instanceInput ?? []) {
          const prev = seen.get(e.name);
          if (prev) add(at('name'), { code: 'duplicate', message: `instance input endpoint ${show(e.name)} is declared by ${prev} and ${s.name} on this pool`, hint: 'give them different names' });
          else seen.set(e.name, s.name ?? '?');
        }
      }
    }
  });
}

/**
 * Services: unique names, the names of their resources, and endpoint names unique per kind, as
 * written (an instance input's name is its NAT rule's name on the slot's load balancer, so two of
 * one name would collide in the synth).
 */
export function validateServiceNames(view: SpecView): Findings {
  return collect((add) => {
    const { env } = view;
    const firstByName = new Map<string, number>();
    for (const { index, s } of view.services) {
      const at = under('services', index);
      if (s.name !== undefined) {
        const prev = firstByName.get(s.name);
        if (prev !== undefined) add(at('name'), { code: 'duplicate', message: `${show(s.name)} is already the name of services[${prev}]`, value: s.name });
        else firstByName.set(s.name, index);
        if (env.name !== undefined && env.resourceGroupName !== undefined) {
          checkComputeNames(add, at('name'), serviceNames({ name: env.name, resourceGroupName: env.resourceGroupName }, s.name));
        }
      }
      const rawService = rawItem(view, 'services', index);
      const rawEndpoints = rawService && isRecord(rawService.endpoints) ? rawService.endpoints : {};
      for (const kind of ['internal', 'management', 'instanceInput'] as const) {
        const names = new Map<string, number>();
        (Array.isArray(rawEndpoints[kind]) ? (rawEndpoints[kind] as unknown[]) : []).forEach((e, i) => {
          if (!isRecord(e) || typeof e.name !== 'string') return;
          const prev = names.get(e.name);
          if (prev !== undefined) add(at('endpoints', kind, i, 'name'), { code: 'duplicate', message: `${show(e.name)} is already endpoints.${kind}[${prev}]'s name`, value: e.name, hint: 'give each endpoint its own name' });
          else names.set(e.name, i);
        });
      }
    }
  });
}
