/**
 * Rules of the access concern: who gets in and from where. The admin user and its SSH keys as
 * Azure and azurerm accept them, the deployer's ranges (public only: they become firewall IP
 * rules), and Entra ID login (a system-assigned identity on every VM).
 */
import { contains, canonicalIfHostBitsSet, overlaps, parseCidr, type Range } from '../cidr';
import { PRIVATE_RANGES } from '../constants';
import { show } from '../issues';
import { EnvironmentSchema } from '../schema';
import { parseSshPublicKey } from '../ssh-key';
import { collect, isRecord, type Findings, type SpecView } from './view';

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

/** Ranges a firewall IP rule cannot admit (Key Vault and Storage take public addresses only). */
const NON_PUBLIC: ReadonlyArray<{ range: Range; what: string }> = [
  ...PRIVATE_RANGES.map((r) => ({ range: parseCidr(r)!, what: r === '100.64.0.0/10' ? 'the shared (CGNAT) range of RFC 6598' : 'a private range (RFC 1918)' })),
  { range: parseCidr('127.0.0.0/8')!, what: 'the loopback range' },
  { range: parseCidr('169.254.0.0/16')!, what: 'the link-local range' },
  { range: parseCidr('0.0.0.0/8')!, what: "'this network' (RFC 1122)" },
];

const rawAdmin = (view: SpecView) => (isRecord(view.raw.admin) ? view.raw.admin : {});

/** admin.sshPublicKeys: parsed as azurerm's validate.SSHKey does. */
export function validateSshKeys(view: SpecView): Findings {
  return collect((add) => {
    const admin = rawAdmin(view);
    const keySchema = EnvironmentSchema.shape.admin.shape.sshPublicKeys.element;
    (Array.isArray(admin.sshPublicKeys) ? admin.sshPublicKeys : []).forEach((k, i) => {
      // a key of the wrong shape is reported by the schema; this reads the key data of the rest
      if (!keySchema.safeParse(k).success) return;
      const r = parseSshPublicKey(k as string);
      if (!r.ok) {
        add(['admin', 'sshPublicKeys', i], {
          code: 'invalid_value',
          message: `${r.problem}`,
          value: k,
          hint: 'paste the whole line of the .pub file (ssh-keygen -t ed25519, or -t rsa -b 4096); azurerm and Azure accept ssh-ed25519 and ssh-rsa of 2048 bits or more',
        });
      }
    });
  });
}

/** admin.username: not a name Azure or the images refuse. */
export function validateAdminUsername(view: SpecView): Findings {
  return collect((add) => {
    const u = rawAdmin(view).username;
    if (typeof u !== 'string') return;
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
  });
}

/** deployer.ipRanges: public ranges only (Key Vault and Storage firewalls), no host bits. */
export function validateDeployerRanges(view: SpecView): Findings {
  return collect((add) => {
    const deployer = isRecord(view.raw.deployer) ? view.raw.deployer : {};
    (Array.isArray(deployer.ipRanges) ? deployer.ipRanges : []).forEach((r, i) => {
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
  });
}

/** Entra ID login needs a system identity on every VM; Flexible scale sets take none. */
export function validateEntraIdLogin(view: SpecView): Findings {
  return collect((add) => {
    if (rawAdmin(view).entraIdLogin === undefined) return;
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
    flexible(view.raw.services, 'services');
    flexible(view.raw.pools, 'pools');
  });
}
