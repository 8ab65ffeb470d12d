/**
 * Validation: every problem in a spec at once, each with the path the user wrote.
 *
 * Two passes over the same input. The schema pass (zod) reports shapes, types, ranges and unknown
 * fields. The rule pass compares fields: overlaps, collisions, fits, order, derived names, capacity.
 * When the shape is valid it reads the parsed spec; otherwise it parses each field on its own, so
 * one bad field never hides a problem elsewhere. Never throws for any input.
 */
import { z } from 'zod';
import {
  PORT_MAX,
  PRIVATE_RANGES,
  RESERVED_PORTS,
  VM_HEALTH_PORT,
} from './constants';
import { canonicalIfHostBitsSet, contains, overlaps, parseCidr, type Range } from './cidr';
import { fromZod, formatPath, show, suggest, type Path, type SpecIssue } from './issues';
import {
  instancesWithSurge,
  maxBlockForFrontends,
  maxBlockForSpace,
  serviceAddressesNeeded,
  usableInBlock,
} from './ip-plan';
import { computeNames, defaultDomain, environmentNames, nameProblem, PLATFORM_PARTS, RESOURCE_GROUP_TOKENS, serviceNames, type NameKind, type ComputeNames } from './names';
import { checkRetirement } from './lifecycle';
import { poolPart } from './placement';
import { AUTOSCALE_LIMITS, overlappingSchedules } from '../autoscale/plan';
import { certificateFileFormat } from './certificates';
import { parseSshPublicKey } from './ssh-key';
import { mapTimeZone, sameClockZones } from './time-zones';
import { suggestVmSizes } from './vm-sizes';
import { minimumForHeadroom, peakInstances, slotPeak, upgradeHeadroom, vmSizeInfo, VMSS_LIMITS } from './capacity';
import { CERTS_SCRIPT, DRAIN_SCRIPT_PACKED, FETCH_SCRIPT, HEALTH_SCRIPT, RELEASE_AGENT_SCRIPT, renderCloudInit, RETRY_SCRIPT, SECRETS_SCRIPT } from '../compute/cloud-init';
import { portsOf } from './port-plan';
import { checkRawInput } from './raw-input';
import { AZURE_REGIONS, REGION_NAMES } from './regions';
import {
  EnvironmentSchema,
  FrontSchema,
  NetworkSchema,
  PoolSchema,
  POOL_OWNED_FIELDS,
  ServiceSchema,
  SLOT_NAMES,
  type Capacity,
  type Environment,
  type SlotName,
} from './schema';
import { busiestMinimum, instancesFor, slotLoads } from '../slots/traffic';

/** The environment with defaults applied, or every issue found. */
export type ValidationResult =
  | {
      /** Valid. */
      readonly ok: true;
      /** The spec with every default filled in. */
      readonly environment: Environment;
      /** What the synth prints though nothing is wrong (e.g. a VM family the declared quotas do not list). */
      readonly warnings: readonly SpecIssue[];
    }
  | {
      /** Not valid. */
      readonly ok: false;
      /** Every problem, sorted by path. */
      readonly issues: readonly SpecIssue[];
    };

/** Azure's limit on a scale set's custom data, base64-encoded. */
export const CUSTOM_DATA_MAX_BYTES = 65535;

/** More than the scripts, units, ports and names of any document take, settings and URLs aside. */
const CLOUD_INIT_FIXED_BYTES = FETCH_SCRIPT.length + HEALTH_SCRIPT.length + RETRY_SCRIPT.length + SECRETS_SCRIPT.length + CERTS_SCRIPT.length + RELEASE_AGENT_SCRIPT.length + DRAIN_SCRIPT_PACKED.length + 8192;

const PRIVATE = PRIVATE_RANGES.map((r) => parseCidr(r)!);

/** Ranges a firewall IP rule cannot admit (Key Vault and Storage take public addresses only). */
const NON_PUBLIC: ReadonlyArray<{ range: Range; what: string }> = [
  ...PRIVATE_RANGES.map((r) => ({ range: parseCidr(r)!, what: r === '100.64.0.0/10' ? 'the shared (CGNAT) range of RFC 6598' : 'a private range (RFC 1918)' })),
  { range: parseCidr('127.0.0.0/8')!, what: 'the loopback range' },
  { range: parseCidr('169.254.0.0/16')!, what: 'the link-local range' },
  { range: parseCidr('0.0.0.0/8')!, what: "'this network' (RFC 1122)" },
];

/**
 * Admin user names Azure's Compute API refuses (`OSProfile.adminUsername`, "Disallowed values";
 * azurerm 4.55 `validate.LinuxAdminUsername` holds the same list, but the scale sets' schema only
 * checks StringIsNotEmpty, so Azure refuses them at apply).
 */
export const AZURE_DISALLOWED_ADMIN_USERNAMES: readonly string[] = ['administrator', 'admin', 'user', 'user1', 'test', 'user2', 'test1', 'user3', 'admin1', '1', '123', 'a', 'actuser', 'adm', 'admin2', 'aspnet', 'backup', 'console', 'david', 'guest', 'john', 'owner', 'root', 'server', 'sql', 'support', 'support_388945a0', 'sys', 'test2', 'test3', 'user4', 'user5'];

/**
 * Built-in system accounts of Linux images that azurerm 4.55 refuses as a Flexible scale set's
 * admin user (`validateAdminUsernameLinux` in `orchestrated_virtual_machine_scale_set.go`); on a
 * Uniform one the account already exists, so provisioning cannot create the admin user.
 */
export const LINUX_SYSTEM_USERNAMES: readonly string[] = ['abrt', 'adm', 'admin', 'audio', 'backup', 'bin', 'cdrom', 'cgred', 'console', 'crontab', 'daemon', 'dbus', 'dialout', 'dip', 'disk', 'fax', 'floppy', 'ftp', 'fuse', 'games', 'gnats', 'gopher', 'haldaemon', 'halt', 'irc', 'kmem', 'landscape', 'libuuid', 'list', 'lock', 'lp', 'mail', 'maildrop', 'man', 'mem', 'messagebus', 'mlocate', 'modem', 'netdev', 'news', 'nfsnobody', 'nobody', 'nogroup', 'ntp', 'operator', 'oprofile', 'plugdev', 'polkituser', 'postdrop', 'postfix', 'proxy', 'public', 'qpidd', 'root', 'rpc', 'rpcuser', 'sasl', 'saslauth', 'shadow', 'shutdown', 'slocate', 'src', 'ssh', 'sshd', 'staff', 'stapdev', 'stapusr', 'sudo', 'sync', 'sys', 'syslog', 'tape', 'tcpdump', 'test', 'trusted', 'tty', 'users', 'utempter', 'utmp', 'uucp', 'uuidd', 'vcsa', 'video', 'voice', 'wheel', 'whoopsie', 'www', 'www-data', 'wwwrun', 'xok'];

/**
 * Whether a marketplace image is known to be generation 1, which trusted launch (secure boot and
 * vTPM, set on Uniform scale sets) cannot boot: a SKU ending in 'gen1' (Canonical's 24.04
 * 'server-gen1'), and the Canonical Ubuntu and Debian offers whose generation-2 SKUs carry a
 * '-gen2' suffix (arm64 SKUs are generation 2 only). Other images cannot be told by name.
 */
export function isGen1Image(img: { publisher: string; offer: string; sku: string }): boolean {
  const sku = img.sku.toLowerCase();
  if (/(^|[-_])gen1$/.test(sku)) return true;
  const suffixed =
    (img.publisher.toLowerCase() === 'canonical' && /^(ubuntuserver|0001-com-ubuntu-(server|minimal|pro)-[a-z]+)$/i.test(img.offer)) ||
    (img.publisher.toLowerCase() === 'debian' && /^debian-\d+$/i.test(img.offer));
  return suffixed && !/-(gen2|arm64)$/.test(sku);
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Each field of an object schema parsed alone: valid fields with defaults applied, invalid ones
 * absent. `only` limits it to the fields the rules read.
 */
function lenient<S extends z.ZodRawShape>(schema: z.ZodObject<S>, raw: unknown, only?: readonly (keyof S)[]): Partial<z.output<z.ZodObject<S>>> {
  const out: Record<string, unknown> = {};
  const obj = isRecord(raw) ? raw : {};
  for (const [key, field] of Object.entries(schema.shape)) {
    if (only && !only.includes(key)) continue;
    const r = (field as z.ZodType).safeParse(obj[key]);
    if (r.success) out[key] = r.data;
  }
  return out as Partial<z.output<z.ZodObject<S>>>;
}

/** Validates an environment given as any value (typed object, parsed JSON or YAML). */
export function validateEnvironment(written: unknown): ValidationResult {
  const warnings: SpecIssue[] = [];
  // values no field may hold (token markers, vanishing keys, holes, size): before the schema,
  // which then reads a dense copy, so no pass meets a hole
  const raw = checkRawInput(written);
  const issues: SpecIssue[] = [...raw.issues];
  if (raw.issues.some((i) => i.path === '(environment)' && i.code === 'too_big')) return { ok: false, issues };
  const input = raw.input;
  const whole = EnvironmentSchema.safeParse(input, { reportInput: true });
  // a hole is told once, as a hole: not again as the missing value the schema then sees
  const holes = new Set(raw.issues.filter((i) => i.code === 'required').map((i) => i.path));
  if (!whole.success) for (const i of fromZod(whole.error.issues, EnvironmentSchema)) if (!(i.code === 'required' && holes.has(i.path))) issues.push(i);
  // a valid shape lets the rules read the parsed spec; otherwise they parse field by field
  try {
    for (const i of checkRules(input, whole.success ? whole.data : undefined, warnings)) issues.push(i);
  } catch (e) {
    // a rule that throws is a defect; the user still gets every other problem and no stack trace
    issues.push({ path: '(environment)', code: 'internal', message: `a validation rule failed (${e instanceof Error ? e.message : String(e)}); the other problems are listed`, hint: 'report this with the spec that caused it' });
  }
  if (issues.length > 0 || !whole.success) return { ok: false, issues: dedupe(issues).sort(byPath) };
  return { ok: true, environment: whole.data, warnings: dedupe(warnings).sort(byPath) };
}

/** Issues in reading order: by path, numbers compared as numbers (services[2] before services[10]). */
const byPath = (a: SpecIssue, b: SpecIssue) => a.path.localeCompare(b.path, 'en', { numeric: true });

function dedupe(issues: SpecIssue[]): SpecIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

interface ParsedService {
  readonly index: number;
  readonly s: Partial<z.output<typeof ServiceSchema>>;
}

function checkRules(input: unknown, parsed: Environment | undefined, warnings: SpecIssue[]): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const add: Add = (path, i) => issues.push({ path: formatPath(path), ...i });
  const warn: Add = (path, i) => warnings.push({ path: formatPath(path), ...i });
  const raw = isRecord(input) ? input : {};
  const env: Partial<Environment> = parsed ?? lenient(EnvironmentSchema, raw, ['name', 'subscriptionId', 'resourceGroupName', 'tags', 'requiredTags', 'quotas', 'artifactStore']);
  const net = parsed?.network ?? lenient(NetworkSchema, raw.network);
  const front = parsed?.front ?? lenient(FrontSchema, raw.front);
  const pools: Array<{ index: number; p: Partial<z.output<typeof PoolSchema>> }> = parsed
    ? parsed.pools.map((p, index) => ({ index, p }))
    : Array.isArray(raw.pools)
      ? raw.pools.map((p, index) => ({ index, p: lenient(PoolSchema, p) }))
      : [];
  const poolByName = new Map(pools.filter(({ p }) => p.name !== undefined).map(({ p }) => [p.name!, p]));
  const services: ParsedService[] = parsed
    ? parsed.services.map((s, index) => ({ index, s }))
    : Array.isArray(raw.services)
      ? raw.services.map((s, index) => ({ index, s: lenient(ServiceSchema, s) }))
      : [];

  // --- secrets never in the spec ---------------------------------------------------------
  findInlineSecrets(raw, [], add);

  // --- Key Vault certificates -----------------------------------------------------------
  const rawKv = isRecord(raw.keyVault) ? raw.keyVault : undefined;
  if (rawKv && Array.isArray(rawKv.certificates)) {
    const contacts = Array.isArray(rawKv.contacts) ? rawKv.contacts : [];
    const seen = new Map<string, number>();
    rawKv.certificates.forEach((c, i) => {
      if (!isRecord(c)) return;
      const at = (...rest: PropertyKey[]): Path => ['keyVault', 'certificates', i, ...rest];
      if (typeof c.name === 'string') {
        const prev = seen.get(c.name.toLowerCase());
        if (prev !== undefined) add(at('name'), { code: 'duplicate', message: `${show(c.name)} is already certificates[${prev}]'s name`, value: c.name });
        else seen.set(c.name.toLowerCase(), i);
      }
      const imported = c.issuer === 'imported';
      if (imported && c.importFrom === undefined) add(at('importFrom'), { code: 'required', message: "required for an imported certificate: the file's path outside the repository" });
      if (!imported && c.importFrom !== undefined) add(at('importFrom'), { code: 'invalid_value', message: `only an imported certificate names a file (issuer is ${show(c.issuer ?? 'self')})`, hint: "set issuer: 'imported', or remove importFrom" });
      if (imported && contacts.length === 0) {
        add(at('issuer'), { code: 'missing', message: 'Key Vault cannot renew an imported certificate, and keyVault.contacts is empty', hint: 'declare keyVault.contacts to hear before it expires' });
      }
      // Key Vault: a lifetime action's days_before_expiry must be 1 to validity_in_months × 27
      if (!imported && c.issuer !== 'external') {
        const num = (v: unknown, d: number) => (v === undefined ? d : typeof v === 'number' && Number.isInteger(v) ? v : undefined);
        const months = num(c.validityMonths, 12);
        const days = num(c.renewBeforeDays, 30);
        if (months !== undefined && days !== undefined && months >= 1 && days > months * 27) {
          add(at('renewBeforeDays'), {
            code: 'does_not_fit',
            message: `${days} days before expiry is more than keyVault.certificates[${i}].validityMonths (${months}) × 27 = ${months * 27} days; Key Vault refuses the certificate policy at apply (its renewal would start before the certificate is issued)`,
            value: days,
            hint: `renew at most ${months * 27} days before expiry (e.g. ${Math.min(30, Math.max(1, Math.floor((months * 27) / 3)))}), or raise validityMonths to ${Math.ceil(days / 27)} or more`,
          });
        }
      }
      const from = isRecord(c.importFrom) ? c.importFrom : undefined;
      if (from && typeof from.path === 'string' && from.path.startsWith('/')) {
        const format = certificateFileFormat(from.path);
        if (!format) {
          add(at('importFrom', 'path'), {
            code: 'invalid_value',
            message: `${show(from.path)} does not say its format: Key Vault needs the content type, application/x-pkcs12 or application/x-pem-file`,
            value: from.path,
            hint: 'name the file .pfx or .p12 (PKCS#12), or .pem (certificate and PKCS#8 private key)',
          });
        } else if (format === 'pem' && from.passwordEnv !== undefined) {
          add(at('importFrom', 'passwordEnv'), {
            code: 'invalid_value',
            message: 'a PEM file takes no password: Key Vault imports PEM with an unencrypted PKCS#8 private key',
            value: from.passwordEnv,
            hint: 'remove passwordEnv, or import the PKCS#12 (.pfx) file instead',
          });
        }
      }
    });
  }

  // --- region ---------------------------------------------------------------------------
  if (typeof raw.region === 'string' && raw.region !== '' && !(raw.region in AZURE_REGIONS)) {
    const normalized = raw.region.toLowerCase().replace(/[\s_-]/g, '');
    add(['region'], {
      code: 'invalid_value',
      message: `unknown Azure region ${show(raw.region)}`,
      value: raw.region,
      hint: normalized in AZURE_REGIONS ? `did you mean '${normalized}'?` : suggest(normalized, REGION_NAMES) ?? 'use the region name as Azure CLI prints it, e.g. westeurope',
    });
  }

  // --- admin SSH keys: parsed as azurerm's validate.SSHKey does ---------------------------
  const rawAdmin = isRecord(raw.admin) ? raw.admin : {};
  const keySchema = EnvironmentSchema.shape.admin.shape.sshPublicKeys.element;
  (Array.isArray(rawAdmin.sshPublicKeys) ? rawAdmin.sshPublicKeys : []).forEach((k, i) => {
    // a key of the wrong shape is reported by the schema; this reads the key data of the rest
    if (!keySchema.safeParse(k).success) return;
    const r = parseSshPublicKey(k as string);
    if (!r.ok) {
      add(['admin', 'sshPublicKeys', i], {
        code: 'invalid_value',
        message: `${r.problem}`,
        value: k,
        hint: "paste the whole line of the .pub file (ssh-keygen -t ed25519, or -t rsa -b 4096); azurerm and Azure accept ssh-ed25519 and ssh-rsa of 2048 bits or more",
      });
    }
  });

  // --- admin user: names Azure or the images refuse ----------------------------------------
  if (typeof rawAdmin.username === 'string') {
    const u = rawAdmin.username;
    const azure = AZURE_DISALLOWED_ADMIN_USERNAMES.includes(u.toLowerCase());
    if (azure || LINUX_SYSTEM_USERNAMES.includes(u.toLowerCase())) {
      add(['admin', 'username'], {
        code: 'invalid_value',
        message: azure
          ? `${show(u)} is a name Azure refuses for a VM's admin user (the Compute API's disallowed adminUsername values); the synth would pass and the apply fail`
          : `${show(u)} is a built-in system account on Linux images: azurerm refuses it for Flexible scale sets, and on Uniform ones provisioning cannot create the admin user`,
        value: u,
        hint: "choose another name, e.g. 'azureadmin' (the default); it is fixed once the VMs exist",
      });
    }
  }

  // --- deployer: public ranges only (Key Vault and Storage firewalls) -----------------------
  const rawDeployer = isRecord(raw.deployer) ? raw.deployer : {};
  (Array.isArray(rawDeployer.ipRanges) ? rawDeployer.ipRanges : []).forEach((r, i) => {
    if (typeof r !== 'string') return;
    const range = parseCidr(r);
    if (!range) return; // the schema reports it
    const fixed = canonicalIfHostBitsSet(r);
    if (fixed) add(['deployer', 'ipRanges', i], { code: 'invalid_value', message: `${show(r)} has host bits set`, value: r, hint: `did you mean '${fixed}'?` });
    const hit = NON_PUBLIC.find((p) => overlaps(p.range, range));
    if (hit) {
      add(['deployer', 'ipRanges', i], {
        code: 'invalid_value',
        message: `${show(r)} ${contains(hit.range, range) ? 'is' : 'overlaps'} ${hit.what} (${hit.range.cidr}); Key Vault and Storage firewalls admit public addresses only`,
        value: r,
        hint: "give the public egress address of the CI runners or the admin VPN (a private caller reaches the vault through a subnet's service endpoint, not an IP rule)",
      });
    }
  });

  // --- Entra ID login needs a system identity; Flexible scale sets take none -----------------
  const entraLogin = rawAdmin.entraIdLogin !== undefined;
  if (entraLogin) {
    const flexible = (list: unknown, kind: 'services' | 'pools') =>
      (Array.isArray(list) ? list : []).forEach((x, i) => {
        if (isRecord(x) && x.orchestration === 'Flexible') {
          add([kind, i, 'orchestration'], {
            code: 'invalid_value',
            message: "is 'Flexible', but admin.entraIdLogin needs a system-assigned identity on every VM: azurerm_orchestrated_virtual_machine_scale_set accepts only UserAssigned identities, and a login role at scale-set scope does not reach Flexible VMs",
            value: 'Flexible',
            hint: "use orchestration 'Uniform' for this " + (kind === 'services' ? 'service' : 'pool') + ', or remove admin.entraIdLogin (SSH keys stay the way in)',
          });
        }
      });
    flexible(raw.services, 'services');
    flexible(raw.pools, 'pools');
  }

  // --- tags -----------------------------------------------------------------------------
  const checkTags = (path: Path, tags: Record<string, string> | undefined, inherited?: readonly string[]) => {
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
      add(path, { code: 'too_big', message: `gives a resource ${names.size} tags (with environment, managed-by and slot${inherited ? ' and the environment\'s tags' : ''}); Azure allows 50`, hint: 'drop tags, or move detail into one tag value' });
    }
  };
  checkTags(['tags'], env.tags);
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

  // --- names that flow into resources ---------------------------------------------------
  const checkName = (path: Path, kind: NameKind, value: string) => {
    const problem = nameProblem(kind, value);
    if (problem) add(path, { code: 'name_rule', message: problem, value });
  };
  /** Every name a set of VMs (a service's own, or a pool's) gives its resources, against Azure's rules. */
  const checkComputeNames = (path: Path, n: ComputeNames) => {
    for (const [kind, name] of [['resourceGroup', n.resourceGroup], ['stack', n.stack], ['subnet', n.subnet], ['networkSecurityGroup', n.nsg]] as const) checkName(path, kind, name);
    for (const slot of SLOT_NAMES) {
      checkName(path, 'scaleSet', n.scaleSet[slot]);
      checkName(path, 'loadBalancer', n.loadBalancer[slot]);
      checkName(path, 'userAssignedIdentity', n.identity[slot]);
    }
  };
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
    for (const part of Object.values(PLATFORM_PARTS)) checkName(['resourceGroupName'], 'resourceGroup', names.resourceGroup(part));
    checkName(['name'], 'virtualNetwork', names.virtualNetwork);
    checkName(['name'], 'natGateway', names.natGateway);
    checkName(['name'], 'publicIp', names.natPublicIp);
    checkName(['name'], 'keyVault', names.keyVault);
    for (const part of Object.values(PLATFORM_PARTS)) checkName(['name'], 'stack', names.stack(part));
  }

  // --- network --------------------------------------------------------------------------
  let space: Range | undefined;
  if (net.addressSpace !== undefined) {
    const fixed = canonicalIfHostBitsSet(net.addressSpace);
    if (fixed) {
      add(['network', 'addressSpace'], { code: 'invalid_value', message: `${show(net.addressSpace)} has host bits set`, value: net.addressSpace, hint: `did you mean '${fixed}'?` });
    } else {
      space = parseCidr(net.addressSpace);
      if (space && !PRIVATE.some((p) => contains(p, space!))) {
        add(['network', 'addressSpace'], {
          code: 'invalid_value',
          message: `${show(net.addressSpace)} is not a private range`,
          value: net.addressSpace,
          hint: `use a range inside ${PRIVATE_RANGES.join(', ')}`,
        });
        space = undefined;
      }
    }
  }
  const prefix = net.subnetPrefixLength;
  if (space && prefix !== undefined && prefix < space.prefix + 2) {
    add(['network', 'subnetPrefixLength'], {
      code: 'does_not_fit',
      message: `/${prefix} subnets give ${2 ** Math.max(0, prefix - space.prefix)} blocks in ${net.addressSpace}; the platform needs 3 and each service 1`,
      value: prefix,
      hint: `use /${space.prefix + 2} or longer, or a larger address space`,
    });
  }
  const blocksUsable = space && prefix !== undefined && prefix >= space.prefix + 2;
  const rawNet = isRecord(raw.network) ? raw.network : {};
  const peerSeen: Array<{ i: number; r: string; range: Range }> = [];
  for (const field of ['peerRanges', 'adminRanges'] as const) {
    // element by element as written: one bad range must not hide a problem with another
    const written = net[field] ?? (Array.isArray(rawNet[field]) ? (rawNet[field] as unknown[]) : []);
    written.forEach((r, i) => {
      if (typeof r !== 'string' || !parseCidr(r)) return; // the schema reports it
      if (field === 'peerRanges') {
        const range = parseCidr(r)!;
        const other = peerSeen.find((o) => overlaps(o.range, range));
        if (other) {
          add(['network', field, i], {
            code: 'overlap',
            message: `${show(r)} overlaps peerRanges[${other.i}] ${show(other.r)}`,
            value: r,
            hint: 'a VNet cannot peer with two networks whose ranges overlap; list each peer network once',
          });
        }
        peerSeen.push({ i, r, range });
      }
      const fixed = canonicalIfHostBitsSet(r);
      if (fixed) add(['network', field, i], { code: 'invalid_value', message: `${show(r)} has host bits set`, value: r, hint: `did you mean '${fixed}'?` });
      const range = parseCidr(r);
      if (range && space && overlaps(range, space)) {
        add(['network', field, i], {
          code: 'overlap',
          message: `${show(r)} overlaps the address space ${net.addressSpace}`,
          value: r,
          hint: field === 'peerRanges' ? 'Azure refuses to peer networks whose ranges overlap' : 'admin ranges are outside callers; VNet sources are declared per endpoint',
        });
      }
    });
  }

  // --- front ----------------------------------------------------------------------------
  checkCapacity(['front', 'capacity'], isRecord(raw.front) ? raw.front.capacity : undefined, add);
  if (front.capacity && blocksUsable && prefix !== undefined) {
    const need = instancesWithSurge(front.capacity, front.upgrade?.maxBatchPercent ?? 20);
    if (need > usableInBlock(prefix)) {
      add(['front', 'capacity', 'max'], {
        code: 'does_not_fit',
        message: `${front.capacity.max} instances plus upgrade surge need ${need} addresses; a /${prefix} subnet holds ${usableInBlock(prefix)}`,
        value: front.capacity.max,
        hint: 'lower front.capacity.max or network.subnetPrefixLength',
      });
    }
  }
  if (front.ports && front.ports.http === front.ports.https) {
    add(['front', 'ports', 'https'], { code: 'collision', message: `${front.ports.https} is also front.ports.http`, value: front.ports.https });
  }

  // --- services -------------------------------------------------------------------------
  const firstByName = new Map<string, number>();
  const firstByBlock = new Map<number, number>();
  const planned: Array<{ index: number; name: string; first: number; last: number; explicit: boolean }> = [];
  const maxBlock = blocksUsable && space && prefix !== undefined ? Math.min(maxBlockForSpace(space, prefix), maxBlockForFrontends(prefix)) : undefined;

  // --- pools ------------------------------------------------------------------------------
  const poolNames = new Map<string, number>();
  for (const { index, p } of pools) {
    const at = (...rest: PropertyKey[]): Path => ['pools', index, ...rest];
    if (p.name !== undefined) {
      const prev = poolNames.get(p.name);
      if (prev !== undefined) add(at('name'), { code: 'duplicate', message: `${show(p.name)} is already the name of pools[${prev}]`, value: p.name });
      else poolNames.set(p.name, index);
      if (!p.retired && !services.some(({ s }) => s.pool === p.name)) add(at('name'), { code: 'missing', message: `no service runs on pool ${show(p.name)}`, hint: "remove the pool, or give a service pool: '" + p.name + "'" });
      if (env.name !== undefined && rgTemplate !== undefined) {
        checkComputeNames(at('name'), computeNames({ name: env.name, resourceGroupName: rgTemplate }, poolPart(p.name), poolPart(p.name)));
      }
      // instance input names become NAT rule names on the pool's load balancers
      const seen = new Map<string, string>();
      for (const { s } of services.filter(({ s }) => s.pool === p.name)) {
        for (const e of s.endpoints?.instanceInput ?? []) {
          const prev = seen.get(e.name);
          if (prev) add(at('name'), { code: 'duplicate', message: `instance input endpoint ${show(e.name)} is declared by ${prev} and ${s.name} on this pool`, hint: 'give them different names' });
          else seen.set(e.name, s.name ?? '?');
        }
      }
    }
    checkCapacity(at('capacity'), isRecord((raw.pools as unknown[] | undefined)?.[index]) ? ((raw.pools as Record<string, unknown>[])[index].capacity) : undefined, add);
    if (p.capacity && p.upgrade) checkCapacityProofs(at, p.capacity, p.upgrade, add);
    if (p.capacity && blocksUsable && prefix !== undefined && p.upgrade) {
      const need = serviceAddressesNeeded(p.capacity, p.upgrade.maxBatchPercent);
      if (need > usableInBlock(prefix)) {
        add(at('capacity', 'max'), { code: 'does_not_fit', message: `2 slots × ${instancesWithSurge(p.capacity, p.upgrade.maxBatchPercent)} instances with surge need ${need} addresses; a /${prefix} subnet holds ${usableInBlock(prefix)}`, value: p.capacity.max });
      }
    }
    checkAutoscale(at, p, add);
    checkTags(at('tags'), p.tags, Object.keys(env.tags ?? {}));
    if (p.image) checkImage(at('image'), p.image, add);
    if (p.image) checkTrustedLaunchImage(at('image'), p.image, p.orchestration, add);
  }

  const blockOwner = new Map<number, string>();
  for (const { index, p } of pools) {
    if (p.block === undefined) continue;
    const prev = blockOwner.get(p.block);
    if (prev) add(['pools', index, 'block'], { code: 'duplicate', message: `block ${p.block} is already ${prev}'s`, value: p.block, hint: 'each pool and service needs its own block' });
    else blockOwner.set(p.block, `pools[${index}]`);
    if (maxBlock !== undefined && p.block > maxBlock) {
      add(['pools', index, 'block'], { code: 'does_not_fit', message: `block ${p.block} is outside the plan: service and pool blocks 1-${maxBlock}`, value: p.block });
    }
  }
  for (const { index, s } of services) {
    const at = (...rest: PropertyKey[]): Path => ['services', index, ...rest];
    const rawService = (raw.services as unknown[])[index];
    if (s.pool !== undefined) {
      if (!poolByName.has(s.pool)) {
        add(at('pool'), { code: 'invalid_value', message: `names no declared pool: ${show(s.pool)}`, value: s.pool, hint: suggest(s.pool, [...poolByName.keys()]) ?? 'declare it under pools' });
      }
      for (const field of POOL_OWNED_FIELDS) {
        if (isRecord(rawService) && rawService[field] !== undefined) add(at(field), { code: 'invalid_value', message: `comes from pool ${show(s.pool)}; a service on a pool cannot set it`, hint: `set it on the pool, or remove pool` });
      }
      for (const slot of SLOT_NAMES) {
        if (s.slots?.[slot].image) add(at('slots', slot, 'image'), { code: 'invalid_value', message: `a service on a pool shares the pool's image`, hint: 'use an artifact, or give the pool the image' });
      }
    } else if (isRecord(rawService)) {
      for (const field of ['vmSize', 'capacity'] as const) {
        if (rawService[field] === undefined) add(at(field), { code: 'required', message: `required field is missing (without a pool, a service needs its own ${field})` });
      }
    }
    const blockTaken = s.block !== undefined ? blockOwner.get(s.block) : undefined;
    if (blockTaken && s.block !== undefined) add(at('block'), { code: 'duplicate', message: `block ${s.block} is already ${blockTaken}'s`, value: s.block, hint: 'each pool and service needs its own block' });
    if (s.name !== undefined) {
      const prev = firstByName.get(s.name);
      if (prev !== undefined) add(at('name'), { code: 'duplicate', message: `${show(s.name)} is already the name of services[${prev}]`, value: s.name });
      else firstByName.set(s.name, index);
      if (env.name !== undefined && rgTemplate !== undefined) {
        checkComputeNames(at('name'), serviceNames({ name: env.name, resourceGroupName: rgTemplate }, s.name));
      }
    }
    if (s.block !== undefined) {
      const prev = firstByBlock.get(s.block);
      if (prev !== undefined) {
        add(at('block'), {
          code: 'duplicate',
          message: `block ${s.block} is already services[${prev}]'s`,
          value: s.block,
          hint: 'each service needs its own block; take one no service uses',
        });
      } else firstByBlock.set(s.block, index);
      if (maxBlock !== undefined && s.block > maxBlock) {
        add(at('block'), {
          code: 'does_not_fit',
          message: `block ${s.block} is outside the plan: ${net.addressSpace} in /${prefix} subnets holds service blocks 1-${maxBlock}`,
          value: s.block,
          hint: 'use a free lower block, or a larger address space',
        });
      }
    }
    const rawSvc = (raw.services as unknown[])[index];
    checkCapacity(at('capacity'), isRecord(rawSvc) ? rawSvc.capacity : undefined, add);
    if (s.capacity && blocksUsable && prefix !== undefined) {
      const batch = s.upgrade?.maxBatchPercent ?? 20;
      const need = serviceAddressesNeeded(s.capacity, batch);
      if (need > usableInBlock(prefix)) {
        add(at('capacity', 'max'), {
          code: 'does_not_fit',
          message: `2 slots × (${s.capacity.max} instances + ${instancesWithSurge(s.capacity, batch) - s.capacity.max} upgrade surge) need ${need} addresses; a /${prefix} subnet holds ${usableInBlock(prefix)}`,
          value: s.capacity.max,
          hint: 'lower capacity.max, or choose a shorter network.subnetPrefixLength (which moves every subnet)',
        });
      }
    }
    // slots and images
    const rawSlots = isRecord(rawSvc) && isRecord(rawSvc.slots) ? rawSvc.slots : undefined;
    if (s.image) checkImage(at('image'), s.image, add);
    if (s.image) checkTrustedLaunchImage(at('image'), s.image, s.orchestration, add);
    for (const slot of SLOT_NAMES) {
      const slotSpec = rawSlots?.[slot];
      if (!isRecord(slotSpec)) continue;
      const parsed = lenient(ServiceSchema.shape.slots.shape[slot], slotSpec);
      if (parsed.image) checkImage(at('slots', slot, 'image'), parsed.image, add);
      if (parsed.image) checkTrustedLaunchImage(at('slots', slot, 'image'), parsed.image, s.orchestration, add);
      const rawImage = isRecord(rawSvc) ? rawSvc.image : undefined;
      if (slotSpec.artifact === undefined && slotSpec.image === undefined && rawImage === undefined) {
        add(at('slots', slot), {
          code: 'missing',
          message: `runs ${typeof slotSpec.version === 'string' ? `version ${show(slotSpec.version)}` : 'a version'} but names no artifact, and no image holds it`,
          hint: "add artifact: { url: 'https://…/release.tar.gz', sha256: '…' }, or an image with /opt/<service>/bin/start baked in",
        });
      }
    }
    // artifacts come from the declared store, which the slots' identities may read
    for (const slot of SLOT_NAMES) {
      const artifact = s.slots?.[slot].artifact;
      if (!artifact) continue;
      const host = /^https:\/\/([a-z0-9]+)\.blob\.core\.windows\.net\//.exec(artifact.url)?.[1];
      const store = env.artifactStore?.storageAccountId.split('/').pop()?.toLowerCase();
      const path = at('slots', slot, 'artifact', 'url');
      if (!host) add(path, { code: 'invalid_value', message: `${show(artifact.url)} is not in Azure Blob Storage`, value: artifact.url, hint: 'the VM fetches releases with its managed identity: https://ACCOUNT.blob.core.windows.net/…' });
      else if (!store) add(path, { code: 'missing', message: `needs artifactStore, the storage account the VMs may read (${host})`, hint: `declare artifactStore: { storageAccountId: '/subscriptions/…/storageAccounts/${host}' }` });
      else if (host !== store) add(path, { code: 'invalid_value', message: `is in storage account '${host}', not the artifactStore '${store}'`, value: artifact.url, hint: 'the slots can read only the artifact store' });
    }
    // endpoint names, as written: an instance input's name is its NAT rule's name on the slot's
    // load balancer, so two of one name would collide in the synth
    const rawEndpoints = isRecord(rawService) && isRecord(rawService.endpoints) ? rawService.endpoints : {};
    for (const kind of ['internal', 'management', 'instanceInput'] as const) {
      const names = new Map<string, number>();
      (Array.isArray(rawEndpoints[kind]) ? (rawEndpoints[kind] as unknown[]) : []).forEach((e, i) => {
        if (!isRecord(e) || typeof e.name !== 'string') return;
        const prev = names.get(e.name);
        if (prev !== undefined) add(at('endpoints', kind, i, 'name'), { code: 'duplicate', message: `${show(e.name)} is already endpoints.${kind}[${prev}]'s name`, value: e.name, hint: 'give each endpoint its own name' });
        else names.set(e.name, i);
      });
    }
    // endpoints
    const ep = s.endpoints;
    if (ep) {
      if (ep.input.from.includes('peers') && net.peerRanges !== undefined && net.peerRanges.length === 0) {
        add(at('endpoints', 'input', 'from'), { code: 'missing', message: "admits 'peers', but network.peerRanges is empty", hint: 'declare the peer ranges, or drop peers' });
      }
      if (ep.management.length > 0 && net.adminRanges !== undefined && net.adminRanges.length === 0) {
        add(at('endpoints', 'management'), { code: 'missing', message: 'management endpoints need network.adminRanges, which is empty', hint: 'declare the admin ranges (a bastion or admin VPN)' });
      }
    }
    // ports
    if (s.block !== undefined && s.instancesPerVm !== undefined) {
      const p = portsOf({ block: s.block, port: s.port, instancesPerVm: s.instancesPerVm });
      const field = s.port !== undefined ? at('port') : at('block');
      if (p.last > PORT_MAX) {
        add(field, {
          code: 'too_big',
          message: `${s.instancesPerVm} instances from port ${p.first} end at ${p.last}, above ${PORT_MAX}`,
          value: s.port ?? s.block,
          hint: s.port !== undefined ? 'lower port' : 'set port explicitly',
        });
      } else {
        for (const [reserved, what] of Object.entries(RESERVED_PORTS)) {
          const r = Number(reserved);
          if (r >= p.first && r <= p.last) add(field, { code: 'collision', message: `ports ${p.first}-${p.last} include ${r}, reserved for ${what}`, value: s.port ?? s.block });
        }
        planned.push({ index, name: s.name ?? `services[${index}]`, first: p.first, last: p.last, explicit: s.port !== undefined });
      }
      const compute = s.pool !== undefined ? poolByName.get(s.pool) : s;
      if (ep && compute?.capacity && compute.upgrade) {
        // a frontend range per instance-input endpoint: one port per VM the slot can hold
        const span = peakInstances(compute.capacity, compute.upgrade);
        const ranges = ep.instanceInput.map((e, i) => ({ i, name: e.name, first: e.frontendPortStart, last: e.frontendPortStart + span - 1 }));
        for (const r of ranges) {
          const path = at('endpoints', 'instanceInput', r.i, 'frontendPortStart');
          if (r.last > PORT_MAX) add(path, { code: 'too_big', message: `${span} instances from port ${r.first} end at ${r.last}, above ${PORT_MAX}`, value: r.first });
          if (r.first <= p.last && p.first <= r.last) {
            add(path, { code: 'collision', message: `frontend ports ${r.first}-${r.last} overlap the load-balancing rules' ports ${p.first}-${p.last}`, value: r.first, hint: `start at ${p.last + 1} or later` });
          }
          for (const o of ranges) {
            if (o.i < r.i && r.first <= o.last && o.first <= r.last) {
              add(path, { code: 'collision', message: `frontend ports ${r.first}-${r.last} overlap instanceInput[${o.i}] ('${o.name}') ${o.first}-${o.last}`, value: r.first });
            }
          }
        }
      }
      if (ep) {
        const seen = new Map<string, string>();
        for (const kind of ['internal', 'management'] as const) {
          ep[kind].forEach((e, i) => {
            const path = at('endpoints', kind, i, 'port');
            if (e.port >= p.first && e.port <= p.last) add(path, { code: 'collision', message: `port ${e.port} is one of the service's planned ports ${p.first}-${p.last}`, value: e.port });
            if (e.port === VM_HEALTH_PORT) add(path, { code: 'collision', message: `port ${e.port} is reserved for ${RESERVED_PORTS[VM_HEALTH_PORT]}`, value: e.port });
            const key = `${e.protocol}/${e.port}`;
            const prev = seen.get(key);
            if (prev) add(path, { code: 'collision', message: `${e.protocol} port ${e.port} is also ${prev}`, value: e.port });
            else seen.set(key, `endpoints.${kind}[${i}]`);
          });
        }
      }
    }
    checkAutoscale(at, s, add);
    // capacity proofs
    if (s.capacity && s.upgrade) checkCapacityProofs(at, s.capacity, s.upgrade, add);
    checkCustomData(at, s, add);
    checkTraffic(at, s, rawService, s.pool !== undefined ? poolByName.get(s.pool) : undefined, add);
    for (const [i, c] of (s.certificates ?? []).entries()) {
      const certs = rawKv && Array.isArray(rawKv.certificates) ? rawKv.certificates.filter(isRecord) : undefined;
      if (!certs) add(at('certificates', i), { code: 'missing', message: `names the Key Vault certificate ${show(c)}, but the environment has no keyVault`, hint: 'declare keyVault with the certificate' });
      else if (!certs.some((k) => k.name === c)) {
        add(at('certificates', i), { code: 'invalid_value', message: `names no certificate in keyVault.certificates: ${show(c)}`, value: c, hint: suggest(c, certs.map((k) => k.name).filter((n): n is string => typeof n === 'string')) ?? 'declare it under keyVault.certificates' });
      }
    }
    // checked as written, so these show beside a problem elsewhere in settings
    const rawSettings = isRecord(rawService) && isRecord(rawService.settings) ? rawService.settings : {};
    for (const [k, v] of Object.entries(rawSettings)) {
      if (isRecord(v) && typeof v.secret === 'string' && !isRecord(raw.keyVault)) {
        add(at('settings', k), { code: 'missing', message: `is the Key Vault secret ${show(v.secret)}, but the environment has no keyVault`, hint: 'declare keyVault, or give a plain value' });
      }
    }
    checkTags(at('tags'), s.tags, Object.keys(env.tags ?? {}));
  }
  checkRoutes(env.name, front, services, add);
  for (const r of checkRetirement(pools, services)) add(r.path, r.issue);
  const tlsName = front.tlsCertificate;
  if (tlsName !== undefined) {
    const certs = parsed?.keyVault?.certificates ?? (rawKv && Array.isArray(rawKv.certificates) ? rawKv.certificates.filter(isRecord) : undefined);
    if (!certs) add(['front', 'tlsCertificate'], { code: 'missing', message: 'names a Key Vault certificate, but the environment has no keyVault', hint: 'declare keyVault with the certificate, or remove tlsCertificate' });
    else if (certs.some((c) => c.name === tlsName && c.issuer !== 'imported' && c.issuer !== 'external' && Array.isArray(c.extendedKeyUsage) && !c.extendedKeyUsage.includes('serverAuth'))) {
      add(['front', 'tlsCertificate'], {
        code: 'invalid_value',
        message: `names ${show(tlsName)}, whose extendedKeyUsage has no 'serverAuth': TLS clients refuse it as a server certificate`,
        value: tlsName,
        hint: "add 'serverAuth' to its extendedKeyUsage",
      });
    } else if (certs.some((c) => c.name === tlsName && c.issuer === 'imported' && isRecord(c.importFrom) && typeof c.importFrom.path === 'string' && certificateFileFormat(c.importFrom.path) === 'pkcs12')) {
      // the front's agent hands the vault's secret to nginx, which reads PEM; the content type of an
      // imported certificate is its file's, and a policy change on it would ask Key Vault to issue
      const i = certs.findIndex((c) => c.name === tlsName);
      add(['front', 'tlsCertificate'], {
        code: 'invalid_value',
        message: `names ${show(tlsName)}, imported from a PKCS#12 file (keyVault.certificates[${i}].importFrom.path): the front serves the vault's secret to nginx, which reads PEM`,
        value: tlsName,
        hint: 'import it as PEM: a .pem file with the certificate chain and its PKCS#8 private key (openssl pkcs12 -in cert.pfx -nodes -out cert.pem)',
      });
    } else if (!certs.some((c) => c.name === tlsName)) {
      add(['front', 'tlsCertificate'], {
        code: 'invalid_value',
        message: `names no certificate in keyVault.certificates: ${show(tlsName)}`,
        value: tlsName,
        hint: suggest(tlsName, certs.map((c) => c.name).filter((n): n is string => typeof n === 'string')) ?? 'declare it under keyVault.certificates',
      });
    }
  }
  if (front.capacity && front.upgrade) checkCapacityProofs((...rest) => ['front', ...rest], front.capacity, front.upgrade, add);

  // VM sizes: only sizes Azure has (the table in vm-sizes.ts), so quotas and capacity are real
  const checkSize = (path: Path, size: string | undefined) => {
    if (size === undefined || vmSizeInfo(size)) return;
    add(path, {
      code: 'invalid_value',
      message: `${show(size)} is not an Azure VM size this library knows`,
      value: size,
      hint: ((near) => (near.length === 0 ? 'use a size such as Standard_D4s_v5 (the known sizes are listed in lib/spec/vm-sizes.ts)' : `did you mean ${near.map((n) => `'${n}'`).join(' or ')}?`))(suggestVmSizes(size)),
    });
  };
  for (const { index, s } of services) checkSize(['services', index, 'vmSize'], s.vmSize);
  for (const { index, p } of pools) checkSize(['pools', index, 'vmSize'], p.vmSize);
  checkSize(['front', 'vmSize'], front.vmSize);

  // vCPU quotas per family: the worst case is both slots of every service at max plus surge
  if (env.quotas && Object.keys(env.quotas).length > 0) {
    const demand = new Map<string, { vcpus: number; parts: string[]; paths: Path[] }>();
    const count = (what: string, size: string | undefined, instances: number, path: Path) => {
      const info = size === undefined ? undefined : vmSizeInfo(size);
      if (!info) return; // an unknown size is reported above
      const d = demand.get(info.family) ?? { vcpus: 0, parts: [], paths: [] };
      d.vcpus += instances * info.vcpus;
      if (d.parts.length < 8) d.parts.push(`${what} ${instances} × ${info.vcpus}`);
      else if (d.parts.length === 8) d.parts.push('…');
      d.paths.push(path);
      demand.set(info.family, d);
    };
    for (const { index, s } of services) {
      // a parked slot holds its parked count; a warm one may reach max plus a surge batch
      const instances = (slot: SlotName) => slotPeak(s.capacity!, s.upgrade!, s.slots?.[slot].parked);
      if (s.capacity && s.upgrade) count(s.name ?? `services[${index}]`, s.vmSize, instances('blue') + instances('green'), ['services', index, 'vmSize']);
    }
    for (const { index, p } of pools) {
      if (p.capacity && p.upgrade) count(`pool ${p.name ?? index}`, p.vmSize, SLOT_NAMES.length * peakInstances(p.capacity, p.upgrade), ['pools', index, 'vmSize']);
    }
    if (front.capacity && front.upgrade) count('front', front.vmSize, peakInstances(front.capacity, front.upgrade), ['front', 'vmSize']);
    for (const [family, d] of [...demand].sort()) {
      const quota = Object.prototype.hasOwnProperty.call(env.quotas, family) ? env.quotas[family] : undefined;
      if (quota === undefined) {
        // a warning, not an error: quota is the subscription's, and may be watched elsewhere
        for (const path of d.paths) {
          warn(path, {
            code: 'missing',
            message: `quotas lists no ${family}: ${d.vcpus} vCPUs at peak (${d.parts.join(' + ')}) are not checked against a quota`,
            hint: `add quotas.${family} (az vm list-usage --location <region>)`,
          });
        }
      }
      if (quota !== undefined && d.vcpus > quota) {
        add(['quotas', family], {
          code: 'does_not_fit',
          message: `${d.vcpus} vCPUs at peak (${d.parts.join(' + ')}) exceed the quota of ${quota}`,
          value: quota,
          hint: 'request more quota, or lower capacity.max; the peak counts both slots at max plus one upgrade surge',
        });
      }
    }
  }

  // planned ports are unique in the environment: a service may later share a node pool, and a
  // port then names one service in logs, NSG rules and the front's upstreams
  const byFirst = [...planned].sort((a, b) => a.first - b.first || a.index - b.index);
  // one issue per service (its first overlap): n copies of one service give n issues, not n²
  const collided = new Set<number>();
  for (let i = 0; i < byFirst.length; i++) {
    for (let j = i + 1; j < byFirst.length && byFirst[j].first <= byFirst[i].last; j++) {
      const [a, b] = [byFirst[i], byFirst[j]];
      // report at the service whose explicit port caused it, else at the one listed later
      const [victim, other] = b.explicit && !a.explicit ? [b, a] : a.explicit && !b.explicit ? [a, b] : a.index > b.index ? [a, b] : [b, a];
      if (collided.has(victim.index)) continue;
      collided.add(victim.index);
      add(['services', victim.index, victim.explicit ? 'port' : 'block'], {
        code: 'collision',
        message: `planned ports ${victim.first}-${victim.last} overlap ${other.name}'s ${other.first}-${other.last} (services[${other.index}])`,
        hint: 'each service needs its own ports; remove port to use the block default, or pick a free range',
      });
    }
  }
  return issues;
}

type Add = (path: Path, i: Omit<SpecIssue, 'path'>) => void;
type ServiceParts = Partial<z.output<typeof ServiceSchema>>;

/**
 * The traffic plan against the slots: pin rules well formed, and every slot that would receive
 * requests (live share, ramp weight, mirrored copies, pins, failover) able to carry them. A warm
 * slot autoscales like the live one, so only parked slots are checked: a parked slot must hold
 * the share of the service's busiest minimum it would receive.
 */
function checkTraffic(at: (...rest: PropertyKey[]) => Path, s: ServiceParts, raw: unknown, pool: Partial<z.output<typeof PoolSchema>> | undefined, add: Add) {
  // rules are checked as written, so their problems show even when another part of traffic is invalid
  const rawTraffic = isRecord(raw) && isRecord(raw.traffic) ? raw.traffic : {};
  const rawRules = Array.isArray(rawTraffic.rules) ? rawTraffic.rules : [];
  const seen = new Map<string, number>();
  rawRules.forEach((r: unknown, i) => {
    if (!isRecord(r)) return;
    const kinds = [r.header !== undefined && 'header', r.cookie !== undefined && 'cookie'].filter(Boolean);
    if (kinds.length !== 1) {
      if (kinds.length === 0) add(at('traffic', 'rules', i), { code: 'invalid_value', message: 'matches nothing: give it a header or a cookie' });
      else add(at('traffic', 'rules', i), { code: 'invalid_value', message: 'has both header and cookie; a rule matches one', hint: 'split it into two rules' });
    }
    if (typeof r.name !== 'string') return;
    const prev = seen.get(r.name);
    if (prev !== undefined) add(at('traffic', 'rules', i, 'name'), { code: 'duplicate', message: `${show(r.name)} is already rules[${prev}]'s name`, value: r.name });
    else seen.set(r.name, i);
  });
  const t = s.traffic;
  if (!t || !s.slots) return;
  for (const slot of SLOT_NAMES) {
    if (s.pool !== undefined && s.slots[slot].parked) {
      add(at('slots', slot, 'parked'), { code: 'invalid_value', message: `a service on a pool cannot park a slot: the pool's VMs are shared`, hint: 'remove parked; the pool keeps both slots warm' });
    }
  }
  const capacity = s.capacity ?? pool?.capacity;
  const schedules = (s.autoscale ?? pool?.autoscale)?.schedules ?? [];
  if (!capacity) return;
  const busiest = busiestMinimum(capacity, schedules);
  const loads = slotLoads(t);
  const name = s.name ?? 'this service';
  for (const slot of SLOT_NAMES) {
    const parked = s.slots[slot].parked;
    if (!parked || s.pool !== undefined) continue;
    const load = loads[slot];
    const share = load.served + load.mirrored;
    const needed = instancesFor(share, busiest);
    const where = slot === t.live ? at('traffic', 'live') : load.served > 0 ? at('traffic', 'weight') : at('traffic', 'mirror');
    const unpark = `warm it first (remove slots.${slot}.parked, a change to the service's stack), or park it at ${Math.max(needed, 1)} or more`;
    if (needed > parked.instances) {
      const parts = [load.served > 0 && `serves ${load.served}%`, load.mirrored > 0 && `receives ${load.mirrored}% as mirrored copies`].filter(Boolean).join(' and ');
      add(where, {
        code: 'does_not_fit',
        message: `${name}'s ${slot} slot ${parts} of the requests but is parked at ${parked.instances} instance(s); ${share}% of the busiest minimum (${busiest}) needs ${needed}`,
        hint: unpark,
      });
    }
    if (slot === t.live && load.served > 0 && parked.instances < 2 && needed <= parked.instances) {
      add(at('slots', slot, 'parked', 'instances'), {
        code: 'too_small',
        message: `${slot} is ${name}'s live slot: parked at ${parked.instances}, one zone or fault domain failing would leave it nothing`,
        value: parked.instances,
        hint: 'a live slot keeps at least 2 instances: park it at 2 or more, or warm it',
      });
    }
    if (parked.instances === 0) {
      t.rules.forEach((r, i) => {
        if (r.slot === slot) add(at('traffic', 'rules', i, 'slot'), { code: 'does_not_fit', message: `pins requests to ${slot}, which is parked at 0 instances`, value: slot, hint: unpark });
      });
      if (load.failoverTarget) {
        add(at('traffic', 'failover'), { code: 'does_not_fit', message: `fails over to ${slot}, which is parked at 0 instances: there would be no way back`, hint: `park ${slot} at 1 or more, or set failover: false` });
      }
    }
  }
}

/** Host names and path prefixes name one service each; the default host is '<service>.<domain>'. */
function checkRoutes(envName: string | undefined, front: Partial<z.output<typeof FrontSchema>>, services: readonly ParsedService[], add: Add) {
  const domain = envName ? defaultDomain(envName, front) : front.domain;
  const hosts = new Map<string, string>();
  const prefixes = new Map<string, string>();
  for (const { index, s } of services) {
    const route = s.route;
    if (!route || !s.name) continue;
    if (route.pathPrefix !== undefined && route.hosts !== undefined) {
      add(['services', index, 'route'], { code: 'invalid_value', message: 'has both hosts and pathPrefix; a service is found by one', hint: 'keep one of them' });
    }
    if (route.pathPrefix !== undefined) {
      const prev = prefixes.get(route.pathPrefix);
      if (prev) add(['services', index, 'route', 'pathPrefix'], { code: 'duplicate', message: `${show(route.pathPrefix)} is already ${prev}'s`, value: route.pathPrefix });
      else prefixes.set(route.pathPrefix, s.name);
      continue;
    }
    const own = route.hosts ?? (domain ? [`${s.name}.${domain}`] : []);
    own.forEach((h, i) => {
      const prev = hosts.get(h);
      if (prev) add(['services', index, 'route', 'hosts', ...(route.hosts ? [i] : [])], { code: 'duplicate', message: `host ${show(h)} is already ${prev}'s`, value: h });
      else hosts.set(h, s.name!);
    });
  }
}

/** Autoscale: thresholds in order, schedules Azure can express (time zone, no overlap, profile limit). */
function checkAutoscale(at: (...rest: PropertyKey[]) => Path, s: Pick<ServiceParts, 'autoscale' | 'capacity'>, add: Add) {
  const as = s.autoscale;
  if (as) {
    if (as.cpu.scaleInBelowPercent >= as.cpu.scaleOutAbovePercent) {
      add(at('autoscale', 'cpu', 'scaleInBelowPercent'), {
        code: 'out_of_order',
        message: `${as.cpu.scaleInBelowPercent} is not below scaleOutAbovePercent ${as.cpu.scaleOutAbovePercent}`,
        value: as.cpu.scaleInBelowPercent,
        hint: 'leave a gap, or autoscale flaps between out and in',
      });
    }
    if (as.customMetric && as.customMetric.scaleInBelow >= as.customMetric.scaleOutAbove) {
      add(at('autoscale', 'customMetric', 'scaleInBelow'), {
        code: 'out_of_order',
        message: `${as.customMetric.scaleInBelow} is not below scaleOutAbove ${as.customMetric.scaleOutAbove}`,
        value: as.customMetric.scaleInBelow,
        hint: 'leave a gap, or autoscale flaps between out and in',
      });
    }
    const maxProfiles = Math.floor((AUTOSCALE_LIMITS.profiles - 1) / 2);
    if (as.schedules.length > maxProfiles) {
      add(at('autoscale', 'schedules'), {
        code: 'too_big',
        message: `${as.schedules.length} schedules need ${1 + 2 * as.schedules.length} autoscale profiles; Azure allows ${AUTOSCALE_LIMITS.profiles} (${maxProfiles} schedules)`,
        hint: 'each window needs a start profile and a return to normal',
      });
    }
    const names = new Set<string>();
    as.schedules.forEach((sch, i) => {
      const p = at('autoscale', 'schedules', i);
      if (names.has(sch.name)) add([...p, 'name'], { code: 'duplicate', message: `${show(sch.name)} names another schedule too`, value: sch.name });
      names.add(sch.name);
      const tz = mapTimeZone(sch.timeZone);
      if (!tz.ok && tz.windows.length === 0) {
        add([...p, 'timeZone'], { code: 'invalid_value', message: `${show(sch.timeZone)} is not an IANA time zone Azure can map`, value: sch.timeZone, hint: "use a name like 'Europe/Amsterdam' or 'UTC'" });
      } else if (!tz.ok) {
        const same = sameClockZones(sch.timeZone);
        add([...p, 'timeZone'], {
          code: 'invalid_value',
          message: `${show(sch.timeZone)} maps to the Windows time zone ${tz.windows.map((w) => `'${w}'`).join(', ')}, which azurerm's autoscale setting does not accept`,
          value: sch.timeZone,
          hint: same.length > 0 ? `a zone Azure accepts with the same clock in 2026: ${same.map((z) => `'${z}'`).join(', ')}` : "write the window in a zone Azure accepts, e.g. 'UTC', shifting start and end",
        });
      }
      if (sch.timeZone !== as.schedules[0].timeZone) {
        add([...p, 'timeZone'], { code: 'invalid_value', message: `${show(sch.timeZone)} differs from schedules[0]'s ${show(as.schedules[0].timeZone)}`, value: sch.timeZone, hint: "one service's windows share one time zone" });
      }
      if (sch.start === sch.end) add([...p, 'end'], { code: 'invalid_value', message: `equals start ${sch.start}: an empty window`, value: sch.end });
      const max = sch.max ?? s.capacity?.max;
      if (max !== undefined && sch.min > max) add([...p, 'min'], { code: 'out_of_order', message: `${sch.min} is above the window's max ${max}`, value: sch.min });
      if (sch.max !== undefined && s.capacity && sch.max > s.capacity.max) {
        add([...p, 'max'], { code: 'does_not_fit', message: `${sch.max} is above capacity.max ${s.capacity.max}, which sizes the subnet`, value: sch.max });
      }
    });
    for (const [i, j] of overlappingSchedules(as.schedules)) {
      add(at('autoscale', 'schedules', j), {
        code: 'overlap',
        message: `${show(as.schedules[j].name)} overlaps or touches ${show(as.schedules[i].name)} (schedules[${i}])`,
        hint: 'merge them, or leave a gap: two windows starting and ending at one minute leave Azure to pick one',
      });
    }
  }
}

/** Custom data: Azure refuses more than 64 KB (base64), and says so only at apply. */
function checkCustomData(at: (...rest: PropertyKey[]) => Path, s: ServiceParts, add: Add) {
  if (s.name !== undefined && s.slots && s.block !== undefined && s.instancesPerVm !== undefined && s.healthPath !== undefined && s.settings) {
    // an upper bound first: render (slow) only when the document could come near the limit
    // a secret reference is a name in secrets.list plus its unit: counted by its JSON length, doubled
    const settingsBytes = Object.entries(s.settings).reduce((n, [k, v]) => n + 2 * (k.length + (typeof v === 'string' ? v.length : 2 * JSON.stringify(v).length)) + 8, 0);
    // each certificate: its path unit line, its publisher arguments and its extension URL (generous)
    const certBytes = (s.certificates ?? []).reduce((n, c) => n + 4 * (c.length + 120), 0);
    const urls = SLOT_NAMES.reduce((n, slot) => Math.max(n, s.slots![slot].artifact?.url.length ?? 0), 0);
    const bound = (CLOUD_INIT_FIXED_BYTES + 4 * urls + 2 * s.healthPath.length + settingsBytes + certBytes) * (4 / 3);
    const plain = Object.fromEntries(Object.entries(s.settings).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const secrets = Object.fromEntries(Object.entries(s.settings).flatMap(([k, v]) => (typeof v === 'string' ? [] : [[k, v.secret]])));
    for (const slot of bound <= CUSTOM_DATA_MAX_BYTES ? [] : SLOT_NAMES) {
      const text = renderCloudInit({
        slot,
        services: [
          {
            service: s.name,
            version: s.slots[slot].version,
            ports: portsOf({ block: s.block, port: s.port, instancesPerVm: s.instancesPerVm }).ports,
            healthPath: s.healthPath,
            settings: plain,
            ...(Object.keys(secrets).length > 0 || (s.certificates ?? []).length > 0 ? { vaultName: 'kv-'.padEnd(24, 'x') } : {}),
            ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
            ...((s.certificates ?? []).length > 0 ? { certificates: s.certificates } : {}),
            artifact: s.slots[slot].artifact,
          },
        ],
        identityResourceId: `/subscriptions/${'0'.repeat(36)}/resourceGroups/${'r'.repeat(90)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${'i'.repeat(128)}`,
      });
      const size = Math.ceil(Buffer.byteLength(text, 'utf8') / 3) * 4;
      if (size > CUSTOM_DATA_MAX_BYTES) {
        add(at('settings'), {
          code: 'too_big',
          message: `make the ${slot} slot's custom data ${size} bytes (base64); Azure allows ${CUSTOM_DATA_MAX_BYTES}`,
          hint: 'move large values to Key Vault secrets or the release artifact',
        });
        break;
      }
    }
  }
}

/** PEM blocks, or long base64 that starts like DER/PKCS#12 ('MII…'). */
const INLINE_SECRET = /-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE)-----|^MII[A-Za-z0-9+/=\s]{200,}$/;

/** Certificates and keys never sit in the spec (it is in the repository): any field holding one is refused. */
function findInlineSecrets(value: unknown, path: PropertyKey[], add: Add, depth = 0) {
  if (depth > 20) return;
  if (typeof value === 'string') {
    if (INLINE_SECRET.test(value)) {
      add(path, {
        code: 'invalid_value',
        message: 'holds an inline certificate or private key; secrets never go in the repository',
        hint: 'import it from a file outside the repository (keyVault.certificates[].importFrom.path), or keep it in Key Vault',
      });
    }
  } else if (Array.isArray(value)) value.forEach((v, i) => findInlineSecrets(v, [...path, i], add, depth + 1));
  else if (isRecord(value)) for (const [k, v] of Object.entries(value)) findInlineSecrets(v, [...path, k], add, depth + 1);
}

/** min <= default <= max, on whichever of the three are numbers (a bad one is reported by the schema). */
function checkCapacity(path: Path, raw: unknown, add: Add) {
  if (!isRecord(raw)) return;
  const n = (k: string) => (typeof raw[k] === 'number' && Number.isFinite(raw[k]) ? (raw[k] as number) : undefined);
  const [min, def, max] = [n('min'), n('default'), n('max')];
  const hint = 'min <= default <= max';
  if (min !== undefined && def !== undefined && min > def) add([...path, 'default'], { code: 'out_of_order', message: `${def} is below min ${min}`, value: def, hint });
  if (def !== undefined && max !== undefined && def > max) add([...path, 'default'], { code: 'out_of_order', message: `${def} is above max ${max}`, value: def, hint });
  if (min !== undefined && max !== undefined && min > max) add([...path, 'min'], { code: 'out_of_order', message: `${min} is above max ${max}`, value: min, hint });
}

function checkCapacityProofs(
  at: (...rest: PropertyKey[]) => Path,
  capacity: Capacity,
  upgrade: { maxBatchPercent: number; maxSurge: boolean; peakLoadInstances?: number },
  add: Add,
) {
  if (upgrade.peakLoadInstances !== undefined && upgrade.peakLoadInstances > capacity.min) {
    add(at('upgrade', 'peakLoadInstances'), {
      code: 'does_not_fit',
      message: `${upgrade.peakLoadInstances} instances of peak load exceed capacity.min ${capacity.min}`,
      value: upgrade.peakLoadInstances,
      hint: 'the minimum must carry the peak; raise capacity.min',
    });
    return;
  }
  const fail = upgradeHeadroom(capacity.min, upgrade);
  if (fail) {
    add(at('upgrade', 'maxBatchPercent'), {
      code: 'does_not_fit',
      message: `at ${fail.instances} instances a batch of ${fail.batch} leaves ${fail.remaining}, below the peak load of ${fail.peak} instances`,
      value: upgrade.maxBatchPercent,
      hint: `set upgrade.maxSurge: true, or raise capacity.min to ${minimumForHeadroom(fail.peak, upgrade.maxBatchPercent)}`,
    });
  }
  const peak = peakInstances(capacity, upgrade);
  if (peak > VMSS_LIMITS.instancesPerScaleSet) {
    add(at('capacity', 'max'), {
      code: 'does_not_fit',
      message: `${capacity.max} instances plus surge reach ${peak}; a scale set holds ${VMSS_LIMITS.instancesPerScaleSet}`,
      value: capacity.max,
    });
  }
}

/**
 * Uniform scale sets run with trusted launch (secure boot, vTPM: `securityType TrustedLaunch`),
 * which needs a generation-2 image; Azure refuses a Gen1 one at apply. Flexible ones are created
 * without it here, so any generation boots.
 */
function checkTrustedLaunchImage(path: Path, img: { marketplace?: { publisher: string; offer: string; sku: string } }, orchestration: 'Uniform' | 'Flexible' | undefined, add: Add) {
  const m = img.marketplace;
  if (!m || (orchestration ?? 'Uniform') !== 'Uniform' || !isGen1Image(m)) return;
  add([...path, 'marketplace', 'sku'], {
    code: 'invalid_value',
    message: `${show(m.sku)} is a generation-1 image, and Uniform scale sets run with trusted launch (secure boot and vTPM), which Azure allows only on generation-2 images: the apply would fail`,
    value: m.sku,
    hint: /gen1$/i.test(m.sku) ? `use the offer's generation-2 SKU ${show(m.sku.replace(/[-_]?gen1$/i, ''))}` : `use the generation-2 SKU ${show(`${m.sku}-gen2`)}`,
  });
}

function checkImage(path: Path, img: { marketplace?: unknown; galleryImageVersionId?: string }, add: Add) {
  const given = [img.marketplace !== undefined, img.galleryImageVersionId !== undefined].filter(Boolean).length;
  if (given !== 1) {
    add(path, {
      code: given === 0 ? 'missing' : 'invalid_value',
      message: given === 0 ? 'names no image' : 'names both a marketplace image and a gallery image version',
      hint: 'give exactly one of marketplace or galleryImageVersionId',
    });
  }
}

