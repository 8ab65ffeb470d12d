/**
 * `ase new`: scaffolds an environment file, or a service in one, with safe defaults; the result is
 * synthesized (validation, every stack, the policy pack) in a temp folder before anything is
 * written, and written atomically only when it synthesizes with no policy errors.
 *
 *   ase new environment <name> --subscription <id> --tenant <id> --ssh-key <key> --deployer <id>
 *       --deployer-ip-range <cidr> [--region westeurope] [--address-space 10.0.0.0/16]
 *       [--tag key=value]... [--artifact-store <storage account id>] [--http-only]
 *       [--dir stacks/environments] [--import <module>]
 *   ase new service <name> --env <env> --version <release> (--sha256 <hex> [--artifact-url <url>] | --gallery-image <id>)
 *       [--vm-size <size>] [--min 2] [--max 6] [--instances-per-vm 1] [--block <n>]
 *       [--from front[,vnet,peers]] [--dir stacks/environments]
 *
 * Exit codes: 0 written; 2 refused (a missing or bad flag, a name that breaks the spec's rules or
 * is taken, an unknown environment, a file that cannot be read or edited); 1 the result would not
 * synthesize (a validation problem or a policy error outside the flags given). Nothing is written
 * unless the exit code is 0.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import { commandHelp, parseCommandArgs, printable, usageText, type CommandArgs } from '../cli/args';
import { CommandError } from '../cli/command';
import { formatIssue, fromZod, suggest, type SpecIssue } from '../spec/issues';
import { environmentFiles, lockFileOf } from '../spec/load';
import { ENDPOINT_SOURCES, EnvironmentSchema, ServiceSchema, type EndpointSource, type EnvironmentSpec } from '../spec/schema';
import { validateEnvironment } from '../spec/validate';
import { synthCheck } from './check';
import { addServiceEntry } from './edit';
import { DEFAULT_ADDRESS_SPACE, DEFAULT_REGION, environmentSpec, renderEnvironmentFile, type EnvironmentOptions } from './environment';
import { EXIT_INVALID, EXIT_OK, EXIT_USAGE, ScaffoldError } from './errors';
import { writeFileAtomic } from './files';
import { DEFAULT_MAX, DEFAULT_MIN, defaultArtifactUrl, serviceEntry, vmSizeCandidates, type ServiceOptions } from './service';
import { formatOf, librarySourceRoot, packageName, parseEnvironmentText } from './source';

export const DEFAULT_DIR = 'stacks/environments';

const USAGE = `usage:
  ase new environment <name> --subscription <id> --tenant <id> --ssh-key <public key> --deployer <object id>
      --deployer-ip-range <cidr> [--region ${DEFAULT_REGION}] [--address-space ${DEFAULT_ADDRESS_SPACE}]
      [--tag key=value]... [--artifact-store <storage account id>] [--http-only]
      [--dir ${DEFAULT_DIR}] [--import <module>]
  ase new service <name> --env <env> --version <release> (--sha256 <hex> [--artifact-url <url>] | --gallery-image <id>)
      [--vm-size <size>] [--min ${DEFAULT_MIN}] [--max ${DEFAULT_MAX}] [--instances-per-vm 1] [--block <n>]
      [--from front[,vnet,peers]] [--dir ${DEFAULT_DIR}]
Writes nothing unless the result synthesizes with no policy errors. Exit 0 written, 2 refused, 1 would not synthesize.`;

export interface Io {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

const processIo: Io = { out: (l) => process.stdout.write(`${l}\n`), err: (l) => process.stderr.write(`${l}\n`) };

/** Runs `new` with the arguments after it, e.g. ['service', 'search', '--env', 'retail', …]; returns the exit code. */
export function main(argv: string[], io: Io = processIo): number {
  const [what, ...rest] = argv;
  try {
    if (what === undefined || what === '--help' || what === '-h' || what === 'help') {
      (what === undefined ? io.err : io.out)(USAGE);
      return what === undefined ? EXIT_USAGE : EXIT_OK;
    }
    const spec = what === 'environment' ? ENVIRONMENT_ARGS : what === 'service' ? SERVICE_ARGS : undefined;
    if (spec && (rest.includes('--help') || rest.includes('-h'))) {
      io.out(commandHelp(spec));
      return EXIT_OK;
    }
    if (what === 'environment') return newEnvironment(rest, io);
    if (what === 'service') return newService(rest, io);
    const near = suggest(what, ['environment', 'service']);
    throw new ScaffoldError('<what>', `unknown kind '${printable(what)}'${near ? ` (${near})` : ''}: ase new environment <name> …, or ase new service <name> --env <env> …`);
  } catch (e) {
    if (!(e instanceof ScaffoldError)) throw e;
    io.err(`ase new ${printable(what)}: ${e.field}: ${e.message}`);
    for (const d of e.details) io.err(`  ${d}`);
    if (e.usage) io.err(e.usage);
    io.err('Nothing was written.');
    return e.kind === 'usage' ? EXIT_USAGE : EXIT_INVALID;
  }
}

// --- arguments ----------------------------------------------------------------------------------

function parse(argv: string[], spec: CommandArgs): { name: string; values: Record<string, string | string[] | boolean | undefined> } {
  let parsed;
  try {
    parsed = parseCommandArgs(spec, argv);
  } catch (e) {
    if (!(e instanceof CommandError)) throw e;
    // the first line, without the command's prefix; the usage follows from main
    const first = e.message.split('\n')[0].replace(`${spec.command}: `, '');
    const m = /(--?[\w-]+)/.exec(first);
    throw new ScaffoldError(m?.[1] ?? '<arguments>', first, 'usage', [], usageText(spec));
  }
  const { positionals, values } = parsed;
  if (positionals.length === 0) throw new ScaffoldError('<name>', 'required: the name to create', 'usage', [], usageText(spec));
  if (positionals.length > 1) throw new ScaffoldError('<name>', `one name only, got ${positionals.map((p) => `'${printable(p)}'`).join(', ')}`, 'usage', [], usageText(spec));
  // defaults are the scaffold's own (it tells "given" from "defaulted"): only what was typed
  const given = Object.fromEntries(Object.entries(values).filter(([k, v]) => argvNames(argv).has(k) && v !== undefined));
  return { name: positionals[0], values: given as Record<string, string | string[] | boolean | undefined> };
}

/** The long flag names that appear in argv (before a `--`). */
function argvNames(argv: readonly string[]): Set<string> {
  const names = new Set<string>();
  for (const a of argv) {
    if (a === '--') break;
    const m = /^--([^=]+)/.exec(a);
    if (m) names.add(m[1]);
  }
  return names;
}

const required = (values: Record<string, unknown>, flag: string, what: string): string => {
  const v = values[flag];
  if (typeof v !== 'string' || v === '') throw new ScaffoldError(`--${flag}`, `required: ${what}`);
  return v;
};

const list = (v: unknown): string[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []).flatMap((x: string) => x.split(',')).map((x) => x.trim()).filter(Boolean);

function integer(values: Record<string, unknown>, flag: string): number | undefined {
  const v = values[flag];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^\d+$/.test(v)) throw new ScaffoldError(`--${flag}`, `expected a whole number, got '${String(v)}'`);
  return Number(v);
}

/** A name checked against the spec's own schema field (the rules the synth applies). */
function checkName(schema: typeof EnvironmentSchema.shape.name | typeof ServiceSchema.shape.name, value: string, path: string): void {
  const r = schema.safeParse(value, { reportInput: true });
  if (!r.success) throw new ScaffoldError('<name>', fromZod(r.error.issues, schema, [path])[0].message);
}

/**
 * Spec paths the flags set, for blaming a flag rather than a field: a problem there is the
 * request's (exit 2); any other is the environment's (exit 1).
 */
type FlagMap = ReadonlyArray<readonly [RegExp, string]>;

function blame(issues: readonly SpecIssue[], flags: FlagMap): ScaffoldError | undefined {
  if (issues.length === 0) return undefined;
  const flagOf = (i: SpecIssue) => flags.find(([re]) => re.test(i.path))?.[1];
  const mine = issues.find((i) => flagOf(i) !== undefined);
  const lines = issues.map((i) => (flagOf(i) ? `${flagOf(i)}: ${formatIssue(i)}` : formatIssue(i)));
  if (mine) return new ScaffoldError(flagOf(mine)!, formatIssue(mine), 'usage', lines.length > 1 ? lines : []);
  return new ScaffoldError(issues[0].path, `the result would not synthesize: ${formatIssue(issues[0])}`, 'invalid', lines.length > 1 ? lines : []);
}

// --- new environment ----------------------------------------------------------------------------

const ENVIRONMENT_ARGS: CommandArgs = {
  command: 'ase new environment',
  summary: 'scaffold an environment file with safe defaults; written only when it synthesizes with no policy errors',
  usage: [
    'ase new environment <name> --subscription <id> --tenant <id> --ssh-key <public key> --deployer <object id>',
    `    --deployer-ip-range <cidr> [--region ${DEFAULT_REGION}] [--address-space ${DEFAULT_ADDRESS_SPACE}] [--tag key=value]...`,
    `    [--artifact-store <storage account id>] [--http-only] [--dir ${DEFAULT_DIR}] [--import <module>]`,
  ],
  positionals: [{ name: 'name', description: "the environment's name (lowercase letters and digits; it prefixes every stack)" }],
  flags: {
    subscription: { type: 'string', value: 'ID', description: 'the Azure subscription ID (a GUID)' },
    tenant: { type: 'string', value: 'ID', description: 'the Microsoft Entra tenant ID (a GUID)' },
    region: { type: 'string', value: 'REGION', description: 'the Azure region', default: DEFAULT_REGION },
    'address-space': { type: 'string', value: 'CIDR', description: "the VNet's address space", default: DEFAULT_ADDRESS_SPACE },
    'ssh-key': { type: 'string', value: 'KEY', multiple: true, description: 'an OpenSSH public key (ssh-ed25519 or ssh-rsa of 2048+ bits) for the VMs\' admin user' },
    deployer: { type: 'string', value: 'ID', description: 'the object ID of the identity that runs terraform (granted the vault and state roles)' },
    'deployer-ip-range': { type: 'string', value: 'CIDR', multiple: true, description: "the deployer's public egress range, let through the vault's and storage's firewalls" },
    tag: { type: 'string', value: 'KEY=VALUE', multiple: true, description: 'a tag on every resource' },
    'artifact-store': { type: 'string', value: 'ID', description: 'the storage account ID the releases are downloaded from' },
    'http-only': { type: 'boolean', description: 'a front without TLS (no certificate issued)' },
    dir: { type: 'string', value: 'DIR', description: 'the folder of environment files', default: DEFAULT_DIR },
    import: { type: 'string', value: 'MODULE', description: 'the module the file imports defineEnvironment from (default: this package, or its source in this repository)' },
  },
};

const ENVIRONMENT_FLAG_PATHS: FlagMap = [
  [/^name$/, '<name>'],
  [/^subscriptionId$/, '--subscription'],
  [/^tenantId$/, '--tenant'],
  [/^region$/, '--region'],
  [/^network\.addressSpace/, '--address-space'],
  [/^admin\.sshPublicKeys/, '--ssh-key'],
  [/^deployer\.principalId/, '--deployer'],
  [/^deployer\.ipRanges/, '--deployer-ip-range'],
  [/^(tags|requiredTags)\b/, '--tag'],
  [/^artifactStore\b/, '--artifact-store'],
];

function newEnvironment(argv: string[], io: Io): number {
  const { name, values } = parse(argv, ENVIRONMENT_ARGS);
  checkName(EnvironmentSchema.shape.name, name, 'name');
  const shownDir = (values.dir as string | undefined) ?? DEFAULT_DIR;
  const dir = resolve(shownDir);
  const file = join(dir, `${name}.ts`);
  assertNewEnvironment(dir, shownDir, name);

  const tags: Record<string, string> = {};
  for (const t of list(values.tag)) {
    const m = /^([^=]+)=(.*)$/.exec(t);
    if (!m || m[2] === '') throw new ScaffoldError('--tag', `expected key=value, got '${t}'`);
    tags[m[1]] = m[2];
  }
  // every missing required flag at once
  const needed: ReadonlyArray<readonly [string, string]> = [
    ['subscription', 'the subscription ID the environment deploys to'],
    ['tenant', "that subscription's Entra ID tenant ID"],
    ['ssh-key', "an OpenSSH public key for the VMs' admin account ('ssh-ed25519 AAAA… you@host'; repeat for more)"],
    ['deployer', 'the object ID of the identity that runs Terraform'],
    ['deployer-ip-range', "the public range(s) Terraform's runners connect from, e.g. 203.0.113.0/28 (the firewalls admit them)"],
  ];
  const missing = needed.filter(([flag]) => list(values[flag]).length === 0);
  if (missing.length > 0) {
    const [[flag, what], ...more] = missing;
    throw new ScaffoldError(`--${flag}`, `required: ${what}`, 'usage', more.length > 0 ? more.map(([f, w]) => `--${f}: required: ${w}`) : []);
  }
  const options: EnvironmentOptions = {
    name,
    subscriptionId: values.subscription as string,
    tenantId: values.tenant as string,
    region: (values.region as string | undefined) ?? DEFAULT_REGION,
    addressSpace: (values['address-space'] as string | undefined) ?? DEFAULT_ADDRESS_SPACE,
    sshPublicKeys: (values['ssh-key'] as string[]).map((k) => k.trim()).filter(Boolean),
    deployerPrincipalId: values.deployer as string,
    deployerIpRanges: list(values['deployer-ip-range']),
    tags,
    artifactStore: values['artifact-store'] as string | undefined,
    tls: values['http-only'] !== true,
    importFrom: (values.import as string | undefined) ?? defaultImport(dir),
  };
  const spec = environmentSpec(options);
  const text = renderEnvironmentFile(options);
  // the text is what gets written: prove it says what the options say, then that it synthesizes
  const fromText = parseEnvironmentText(text, file, '<name>');
  if (JSON.stringify(fromText) !== JSON.stringify(spec)) throw new Error('internal: the rendered environment file does not declare the intended spec');
  const validated = validateEnvironment(fromText);
  const problem = blame(validated.ok ? [] : validated.issues, ENVIRONMENT_FLAG_PATHS);
  if (problem) throw problem;
  const checked = synthCheck(fromText, basename(file));
  const refused = blame(checked.problems, ENVIRONMENT_FLAG_PATHS);
  if (refused) throw refused;

  mkdirSync(dir, { recursive: true });
  assertNewEnvironment(dir, shownDir, name);
  writeFileAtomic(file, text, { exclusive: true });
  io.out(`Wrote ${join(shownDir, `${name}.ts`)}: environment '${name}' in ${options.region}, address space ${options.addressSpace}${options.tls ? ', the front on HTTPS with a Key Vault certificate' : ', the front on HTTP only'}, no services yet.`);
  if (values.region === undefined) io.out(`  region: ${DEFAULT_REGION} (the default; --region to choose)`);
  if (values['address-space'] === undefined) io.out(`  address space: ${DEFAULT_ADDRESS_SPACE} (the default; it cannot move later and must not overlap networks you peer with: --address-space)`);
  for (const w of checked.warnings) io.out(`  policy warning: ${w}`);
  io.out(`It synthesizes with no policy findings${checked.warnings.length > 0 ? ' but the warnings above' : ''}. Next: ase new service <name> --env ${name} --version <release> --sha256 <digest>`);
  return EXIT_OK;
}

/**
 * Refuses a name an environment file or a declared environment already has, or whose lock file
 * is still there (the scale sets it records may still exist).
 */
function assertNewEnvironment(dir: string, shownDir: string, name: string): void {
  if (!existsSync(dir)) return;
  const taken = readdirSync(dir).find((f) => f.replace(/\.[^.]+$/, '') === name && (formatOf(f) !== undefined || ['.js', '.cjs'].includes(extname(f))));
  if (taken) throw new ScaffoldError('<name>', `environment '${name}' already exists: ${join(shownDir, taken)}`);
  const lock = basename(lockFileOf(`${name}.ts`));
  if (existsSync(join(dir, lock))) {
    throw new ScaffoldError('<name>', `${join(shownDir, lock)} records scale sets of an environment '${name}', which may still exist; choose another name, or remove the lock file once that environment is destroyed`);
  }
  for (const f of environmentFiles(dir)) {
    if (!formatOf(f)) continue;
    let spec: unknown;
    try {
      spec = parseEnvironmentText(readFileSync(join(dir, f), 'utf8'), join(dir, f), '<name>');
    } catch {
      continue; // another file's problem; the synth reports it
    }
    if ((spec as { name?: unknown } | undefined)?.name === name) throw new ScaffoldError('<name>', `environment '${name}' already exists: ${join(shownDir, f)} declares it`);
  }
}

/** How a new file imports defineEnvironment: by path inside this library's checkout, else by package name. */
function defaultImport(dir: string): string {
  const root = librarySourceRoot();
  if (!root) return packageName();
  let rel = relative(dir, join(root, 'lib', 'spec', 'schema')).split(sep).join('/');
  if (!rel.startsWith('.')) rel = `./${rel}`;
  return rel;
}

// --- new service --------------------------------------------------------------------------------

const SERVICE_ARGS: CommandArgs = {
  command: 'ase new service',
  summary: 'add a service to an environment file with safe defaults; written only when it synthesizes with no policy errors',
  usage: [
    'ase new service <name> --env <env> --version <release> (--sha256 <hex> [--artifact-url <url>] | --gallery-image <id>)',
    `    [--vm-size <size>] [--min ${DEFAULT_MIN}] [--max ${DEFAULT_MAX}] [--instances-per-vm 1] [--block <n>] [--from front[,vnet,peers]] [--dir ${DEFAULT_DIR}]`,
  ],
  positionals: [{ name: 'name', description: "the service's name (lowercase letters, digits, hyphens)" }],
  flags: {
    env: { type: 'string', value: 'ENV', description: 'the environment to add it to, by name' },
    version: { type: 'string', value: 'RELEASE', description: "the release the blue slot runs (the green slot is parked)" },
    'artifact-url': { type: 'string', value: 'URL', description: "the release tarball's blob URL (default: the environment's artifact store)" },
    sha256: { type: 'string', value: 'HEX', description: "the release tarball's SHA-256" },
    'gallery-image': { type: 'string', value: 'ID', description: 'a Compute Gallery image version ID instead of a tarball' },
    'vm-size': { type: 'string', value: 'SIZE', description: 'the VM size (default: the first of the candidates the spec allows)' },
    min: { type: 'string', value: 'N', description: 'instances at least', default: String(DEFAULT_MIN) },
    max: { type: 'string', value: 'N', description: 'instances at most', default: String(DEFAULT_MAX) },
    'instances-per-vm': { type: 'string', value: 'N', description: 'service instances per VM, one per planned port', default: '1' },
    block: { type: 'string', value: 'N', description: 'the address and port block (default: the next free one)' },
    from: { type: 'string', value: 'WHO', multiple: true, description: 'who may reach it: front, vnet, peers (comma-separated)', default: 'front' },
    dir: { type: 'string', value: 'DIR', description: 'the folder of environment files', default: DEFAULT_DIR },
  },
};

const serviceFlagPaths = (i: number): FlagMap => [
  [new RegExp(`^services\\[${i}\\]\\.name$`), '<name>'],
  [new RegExp(`^services\\[${i}\\]\\.(block|port)$`), '--block'],
  [new RegExp(`^services\\[${i}\\]\\.vmSize$`), '--vm-size'],
  [new RegExp(`^services\\[${i}\\]\\.capacity\\.(min|default)$`), '--min'],
  [new RegExp(`^services\\[${i}\\]\\.capacity`), '--max'],
  [new RegExp(`^services\\[${i}\\]\\.instancesPerVm$`), '--instances-per-vm'],
  [new RegExp(`^services\\[${i}\\]\\.image`), '--gallery-image'],
  [new RegExp(`^services\\[${i}\\]\\.slots\\.\\w+\\.version$`), '--version'],
  [new RegExp(`^services\\[${i}\\]\\.slots\\.\\w+\\.artifact\\.url$`), '--artifact-url'],
  [new RegExp(`^services\\[${i}\\]\\.slots\\.\\w+\\.artifact\\.sha256$`), '--sha256'],
  [new RegExp(`^services\\[${i}\\]\\.endpoints\\.input`), '--from'],
  [new RegExp(`^services\\[${i}\\]\\.route`), '<name>'],
];

/** The synth to run next: this repository's app, or `ase synth` in a user's own app. */
function synthCommand(shownDir: string): string {
  return librarySourceRoot() !== undefined && shownDir === DEFAULT_DIR ? 'npm run synth' : `npx ase synth --environments ${shownDir}`;
}

function newService(argv: string[], io: Io): number {
  const { name, values } = parse(argv, SERVICE_ARGS);
  checkName(ServiceSchema.shape.name, name, 'services[].name');
  const envName = required(values, 'env', 'the environment to add the service to (its name, or its file name without the extension)');
  const shownDir = (values.dir as string | undefined) ?? DEFAULT_DIR;
  const dir = resolve(shownDir);
  const { file, text, spec } = findEnvironment(dir, shownDir, envName);
  const shownFile = join(shownDir, basename(file));

  const before = validateEnvironment(spec);
  if (!before.ok) {
    throw new ScaffoldError('--env', `${shownFile} has problems already; fix them first (${synthCommand(shownDir)} shows them)`, 'invalid', before.issues.map(formatIssue));
  }
  const envSpec = spec as EnvironmentSpec;
  const existing = envSpec.services.findIndex((s) => s.name === name);
  if (existing !== -1) throw new ScaffoldError('<name>', `service '${name}' already exists in ${shownFile} (services[${existing}])`);
  const pool = (envSpec.pools ?? []).find((p) => p.name === name);
  if (pool) throw new ScaffoldError('<name>', `'${name}' is already a pool's name in ${shownFile}`);

  const from = list(values.from);
  for (const f of from) if (!(ENDPOINT_SOURCES as readonly string[]).includes(f)) throw new ScaffoldError('--from', `unknown source '${f}'; allowed: ${ENDPOINT_SOURCES.join(', ')}`);
  const options: ServiceOptions = {
    name,
    version: required(values, 'version', 'the release both slots run (e.g. 1.0.0)'),
    artifactUrl: values['artifact-url'] as string | undefined,
    sha256: values.sha256 as string | undefined,
    galleryImage: values['gallery-image'] as string | undefined,
    vmSize: values['vm-size'] as string | undefined,
    min: integer(values, 'min'),
    max: integer(values, 'max'),
    instancesPerVm: integer(values, 'instances-per-vm'),
    block: integer(values, 'block'),
    from: from.length > 0 ? (from as EndpointSource[]) : undefined,
  };
  if (options.galleryImage && (options.sha256 || options.artifactUrl)) throw new ScaffoldError('--gallery-image', 'either a gallery image that holds the release, or an artifact (--sha256, --artifact-url), not both');
  if (!options.galleryImage) {
    if (!options.sha256) throw new ScaffoldError('--sha256', 'required: the SHA-256 of the release artifact (the VMs refuse a download that does not match), or --gallery-image for an image that holds the release');
    if (!options.artifactUrl && !defaultArtifactUrl(envSpec, name, options.version)) {
      throw new ScaffoldError('--artifact-url', `required: ${shownFile} declares no artifactStore to derive the release's URL from (https://<account>.blob.core.windows.net/…)`);
    }
  }

  // a VM size: the one asked for, or the first small size the quotas allow
  const index = envSpec.services.length;
  const flags = serviceFlagPaths(index);
  const sizes = options.vmSize ? [options.vmSize] : vmSizeCandidates(envSpec);
  if (sizes.length === 0) {
    throw new ScaffoldError('--vm-size', `required: ${shownFile} declares quotas only for families with no small size here (${Object.keys(envSpec.quotas ?? {}).join(', ')}); name a size of one of them`);
  }
  const tried = sizes.map((size) => {
    const candidate = serviceEntry(envSpec, options, size);
    const r = validateEnvironment({ ...envSpec, services: [...envSpec.services, candidate] });
    const issues = r.ok ? [] : r.issues;
    return { candidate, issues, quota: issues.find((i) => i.path.startsWith('quotas.')) };
  });
  const chosen = tried.find((t) => !t.quota);
  if (!chosen) {
    const quotaIssue = tried[0].quota!;
    throw new ScaffoldError(options.vmSize ? '--vm-size' : '--max', `${formatIssue(quotaIssue)}; ${options.vmSize ? 'choose a size whose family has room' : `no small size (${sizes.join(', ')}) fits: lower --max, or raise the quota`}`);
  }
  const { candidate: entry, issues } = chosen;
  const invalid = blame(issues, flags);
  if (invalid) throw invalid;

  // the edit, then proof that the edited text says exactly the old spec plus the entry
  const comments = formatOf(file) === 'ts' ? { block: 'permanent: fixes the subnet, frontend IPs and ports; never change it' } : undefined;
  const edit = addServiceEntry(text, file, entry, '--env', { comments });
  const after = parseEnvironmentText(edit.text, file, '--env');
  const intended = { ...envSpec, services: [...envSpec.services, entry] };
  if (JSON.stringify(after) !== JSON.stringify(intended)) {
    throw new ScaffoldError('--env', `${shownFile}: could not add the entry safely (the edited file would declare something else); add it by hand:`, 'usage', JSON.stringify(entry, null, 2).split('\n'));
  }
  const checked = synthCheck(after, basename(file));
  const refused = blame(checked.problems, flags);
  if (refused) throw refused;

  // the file must not have changed while we worked
  if (readFileSync(file, 'utf8') !== text) throw new ScaffoldError('--env', `${shownFile} changed while the service was being added; run again`);
  writeFileAtomic(file, edit.text);
  const e = entry as { block: number; vmSize: string; capacity: { min: number; max: number }; slots: { blue: { artifact?: { url: string } } } };
  io.out(`Added service '${name}' to ${shownFile}: block ${e.block}, ${e.vmSize}, ${e.capacity.min}-${e.capacity.max} instances per slot, both slots on ${options.version}, blue live, reachable from ${(options.from ?? ['front']).join(', ')}.`);
  if (!options.vmSize) io.out(`  vmSize: ${e.vmSize} (${Object.keys(envSpec.quotas ?? {}).length > 0 ? 'the first small size the quotas allow' : 'the default small size'}; --vm-size to choose)`);
  if (!options.artifactUrl && e.slots.blue.artifact) io.out(`  artifact: ${e.slots.blue.artifact.url} (derived from artifactStore; --artifact-url if the release is elsewhere)`);
  for (const w of checked.warnings) io.out(`  policy warning: ${w}`);
  io.out(`It synthesizes with no policy errors${checked.warnings.length > 0 ? ' (warnings above)' : ' or warnings'}. Next: ${synthCommand(shownDir)}, and commit the file with its lock file.`);
  return EXIT_OK;
}

/** The environment file for `--env`: by file name, else by the name it declares. */
function findEnvironment(dir: string, shownDir: string, envName: string): { file: string; text: string; spec: unknown } {
  let files: string[];
  try {
    files = environmentFiles(dir).filter((f) => formatOf(f));
  } catch {
    throw new ScaffoldError('--dir', `cannot read environments from ${shownDir}`);
  }
  const read = (f: string) => {
    const file = join(dir, f);
    const text = readFileSync(file, 'utf8');
    return { file, text, spec: parseEnvironmentText(text, join(shownDir, f), '--env') };
  };
  const byFile = files.filter((f) => f.replace(/\.[^.]+$/, '') === envName);
  if (byFile.length > 1) throw new ScaffoldError('--env', `'${envName}' is ambiguous in ${shownDir}: ${byFile.join(', ')}`);
  if (byFile.length === 1) return read(byFile[0]);
  const names: string[] = [];
  for (const f of files) {
    let found;
    try {
      found = read(f);
    } catch {
      continue;
    }
    const declared = (found.spec as { name?: unknown } | undefined)?.name;
    if (declared === envName) return found;
    if (typeof declared === 'string') names.push(declared);
  }
  throw new ScaffoldError('--env', `unknown environment '${envName}' in ${shownDir} (there: ${names.join(', ') || 'none'})`);
}

// alone, without the `ase` table: `node scripts/app.js lib/scaffold/cli.ts service …`
if (require.main === module) process.exitCode = main(process.argv.slice(2));
