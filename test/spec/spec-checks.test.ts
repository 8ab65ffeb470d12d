/**
 * The deployability checks of docs/spec-checks.md: SSH keys parsed as azurerm parses them (keys
 * made by the real ssh-keygen), deployer ranges that firewalls take, Flexible scale sets with Entra
 * ID login, VM sizes Azure has, quota families the quotas do not list, and autoscale time zones
 * azurerm accepts (every IANA zone windows-iana knows).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IANA_ALIAS_MAP, WINDOWS_TO_IANA_MAP } from 'windows-iana';
import { planProfiles, windowsTimeZone } from '../../lib/autoscale/plan';
import { AUTOSCALE_TIME_ZONES } from '../../lib/spec/autoscale-time-zones';
import { vmSizeInfo } from '../../lib/spec/capacity';
import { firewallIpRules } from '../../lib/spec/cidr';
import { formatIssue } from '../../lib/spec/issues';
import { parseSshPublicKey } from '../../lib/spec/ssh-key';
import { mapTimeZone } from '../../lib/spec/time-zones';
import { validateEnvironment } from '../../lib/spec/validate';
import { VM_SIZES, VM_SIZE_NAMES } from '../../lib/spec/vm-sizes';
import { synthesize } from '../../stacks/synthesize';
import { exampleSpec, tempDir, type Json } from '../helpers';

function problems(spec: unknown): string[] {
  const r = validateEnvironment(spec);
  return r.ok ? [] : r.issues.map(formatIssue);
}
function withChange(change: (s: Json) => void): Json {
  const s = exampleSpec() as Json;
  change(s);
  return s;
}

describe('admin SSH keys', () => {
  const dir = tempDir('ssh-keys-');
  /** A public key line made by ssh-keygen. */
  const keygen = (name: string, ...args: string[]) => {
    const r = spawnSync('ssh-keygen', ['-q', '-N', '', '-C', `${name}@test`, '-f', join(dir, name), ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ssh-keygen ${args.join(' ')}: ${r.stderr}`);
    return readFileSync(join(dir, `${name}.pub`), 'utf8').trim();
  };
  const ed25519 = keygen('ed', '-t', 'ed25519');
  const rsa2048 = keygen('rsa2048', '-t', 'rsa', '-b', '2048');
  const rsa3072 = keygen('rsa3072', '-t', 'rsa', '-b', '3072');
  const rsa1024 = keygen('rsa1024', '-t', 'rsa', '-b', '1024');
  const ecdsa = keygen('ecdsa', '-t', 'ecdsa', '-b', '256');
  const keysOf = (...keys: string[]) => withChange((s) => (s.admin.sshPublicKeys = keys));

  test('accepts ed25519 and RSA keys of 2048 bits and more, as ssh-keygen writes them', () => {
    expect(parseSshPublicKey(ed25519)).toEqual({ ok: true, key: { type: 'ssh-ed25519', bits: 256 } });
    expect(parseSshPublicKey(rsa2048)).toEqual({ ok: true, key: { type: 'ssh-rsa', bits: 2048 } });
    expect(parseSshPublicKey(rsa3072)).toEqual({ ok: true, key: { type: 'ssh-rsa', bits: 3072 } });
    expect(validateEnvironment(keysOf(ed25519, rsa2048, rsa3072)).ok).toBe(true);
  });

  test('refuses a short RSA key, an ECDSA key (azurerm refuses it) and malformed key data, each at its index, all at once', () => {
    const [type, blob, comment] = ed25519.split(' ');
    const rsaBlob = rsa2048.split(' ')[1];
    const truncated = Buffer.from(blob, 'base64').subarray(0, 40).toString('base64');
    const lines = problems(keysOf(rsa1024, ecdsa, `${type} ${truncated} ${comment}`, `ssh-ed25519 ${rsaBlob} mislabelled`, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOrdersOpsKey ops@example', `${type} ${blob.slice(0, -1)}`));
    expect(lines).toEqual([
      expect.stringMatching(/^admin\.sshPublicKeys\[0\]: is a 1024-bit RSA key; Azure needs 2048 bits or more \(paste the whole line/),
      expect.stringMatching(/^admin\.sshPublicKeys\[1\]: 'ecdsa-sha2-nistp256 AAAA.*' is not an OpenSSH ssh-ed25519 or ssh-rsa public key .*azurerm refuses other key types$/),
      expect.stringMatching(/^admin\.sshPublicKeys\[2\]: has ed25519 key data without a 32-byte key \(truncated or pasted wrong\)/),
      expect.stringMatching(/^admin\.sshPublicKeys\[3\]: says ssh-ed25519 but its key data holds a "ssh-rsa" key/),
      expect.stringMatching(/^admin\.sshPublicKeys\[4\]: has key data that is not base64/), // a made-up key, as once in the README
      expect.stringMatching(/^admin\.sshPublicKeys\[5\]: has key data that is not (canonical )?base64/),
    ]);
  });

  test('the parser agrees with ssh-keygen on every key it accepts', () => {
    for (const key of [ed25519, rsa2048, rsa3072, rsa1024]) {
      const file = join(dir, 'check.pub');
      writeFileSync(file, `${key}\n`);
      const r = spawnSync('ssh-keygen', ['-l', '-f', file], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const bits = Number(r.stdout.split(' ')[0]);
      const parsed = parseSshPublicKey(key);
      if (parsed.ok) expect(parsed.key.bits).toBe(bits);
      else expect(bits).toBeLessThan(2048);
    }
  });
});

describe('deployer IP ranges', () => {
  test('refuses private, shared, loopback and link-local ranges (firewalls take public addresses), and accepts public ones', () => {
    const lines = problems(withChange((s) => (s.deployer.ipRanges = ['10.1.2.0/24', '100.64.0.0/10', '127.0.0.1/32', '169.254.10.0/24', '172.15.0.0/16', '192.0.0.0/2', '203.0.113.7/32', '198.51.100.0/31'])));
    expect(lines).toEqual([
      expect.stringMatching(/^deployer\.ipRanges\[0\]: '10\.1\.2\.0\/24' is a private range \(RFC 1918\) \(10\.0\.0\.0\/8\); Key Vault and Storage firewalls admit public addresses only/),
      expect.stringMatching(/^deployer\.ipRanges\[1\]: '100\.64\.0\.0\/10' is the shared \(CGNAT\) range of RFC 6598/),
      expect.stringMatching(/^deployer\.ipRanges\[2\]: '127\.0\.0\.1\/32' is the loopback range/),
      expect.stringMatching(/^deployer\.ipRanges\[3\]: '169\.254\.10\.0\/24' is the link-local range/),
      expect.stringMatching(/^deployer\.ipRanges\[5\]: '192\.0\.0\.0\/2' overlaps a private range \(RFC 1918\) \(192\.168\.0\.0\/16\)/),
    ]);
  });

  test('firewall rules: a /32 becomes its address and a /31 its two addresses (Storage refuses both prefixes); others pass', () => {
    expect(firewallIpRules(['203.0.113.0/28', '198.51.100.6/31', '203.0.113.9/32', '198.51.100.7/32'])).toEqual(['203.0.113.0/28', '198.51.100.6', '198.51.100.7', '203.0.113.9']);
  });
});

describe('Flexible scale sets and Entra ID login', () => {
  const entra = { adminGroupObjectId: '11111111-2222-3333-4444-555555555555' };
  test('refuses a Flexible service or pool when admin.entraIdLogin is on, at its orchestration', () => {
    const lines = problems(
      withChange((s) => {
        s.admin.entraIdLogin = entra;
        s.services[2].orchestration = 'Flexible';
        s.pools = [{ name: 'shared', block: 9, vmSize: 'Standard_D2s_v5', capacity: { min: 2, default: 2, max: 4 }, orchestration: 'Flexible' }];
        s.services[1] = { ...s.services[1], pool: 'shared' };
        delete s.services[1].vmSize;
        delete s.services[1].capacity;
      }),
    );
    expect(lines).toEqual([
      expect.stringMatching(/^pools\[0\]\.orchestration: is 'Flexible', but admin\.entraIdLogin needs a system-assigned identity on every VM: azurerm_orchestrated_virtual_machine_scale_set accepts only UserAssigned identities/),
      expect.stringMatching(/^services\[2\]\.orchestration: is 'Flexible', but admin\.entraIdLogin .* \(use orchestration 'Uniform' for this service, or remove admin\.entraIdLogin/),
    ]);
  });

  test('Flexible without Entra ID login, and Entra ID login on Uniform, are fine', () => {
    expect(problems(withChange((s) => (s.services[2].orchestration = 'Flexible')))).toEqual([]);
    expect(problems(withChange((s) => (s.admin.entraIdLogin = entra)))).toEqual([]);
  });
});

describe('VM sizes', () => {
  test('refuses a size Azure does not have, with the closest known one, for services, pools and the front', () => {
    const lines = problems(
      withChange((s) => {
        s.services[2].vmSize = 'Standard_E4s_v9';
        s.services[0].vmSize = 'Standard_D4S_v5';
        s.front = { ...s.front, vmSize: 'Standard_D3s_v5' };
      }),
    );
    expect(lines).toEqual([
      "front.vmSize: 'Standard_D3s_v5' is not an Azure VM size this library knows (did you mean 'Standard_D2s_v5' or 'Standard_D4s_v5' or 'Standard_D8s_v5'?)",
      "services[0].vmSize: 'Standard_D4S_v5' is not an Azure VM size this library knows (did you mean 'Standard_D4s_v5'?)",
      "services[2].vmSize: 'Standard_E4s_v9' is not an Azure VM size this library knows (did you mean 'Standard_E4s_v5' or 'Standard_E4s_v4' or 'Standard_E4s_v3'?)",
    ]);
  });

  test('the table gives quota families as Azure names them, including the B-series (one family for B1s … B20ms)', () => {
    expect(vmSizeInfo('Standard_D4s_v5')).toEqual({ family: 'standardDSv5Family', vcpus: 4 });
    expect(vmSizeInfo('Standard_D2ads_v5')).toEqual({ family: 'standardDADSv5Family', vcpus: 2 });
    expect(vmSizeInfo('Standard_F72s_v2')).toEqual({ family: 'standardFSv2Family', vcpus: 72 });
    expect(vmSizeInfo('Standard_B2ms')).toEqual({ family: 'standardBSFamily', vcpus: 2 });
    expect(vmSizeInfo('Standard_E4s_v9')).toBeUndefined();
    expect(vmSizeInfo('toString')).toBeUndefined();
    for (const name of VM_SIZE_NAMES) expect(name).toMatch(/^Standard_[A-Z]+\d+[a-z]*(_v\d)?$/);
    expect(Object.keys(VM_SIZES)).toHaveLength(VM_SIZE_NAMES.length);
  });

  test('a family the declared quotas do not list is a printed warning, not a silent skip; the synth still writes', () => {
    const spec = withChange((s) => (s.services[2].vmSize = 'Standard_F4s_v2'));
    const r = validateEnvironment(spec);
    expect(r.ok && r.warnings.map(formatIssue)).toEqual([
      'services[2].vmSize: quotas lists no standardFSv2Family: 80 vCPUs at peak (catalog 20 × 4) are not checked against a quota (add quotas.standardFSv2Family (az vm list-usage --location westeurope))',
    ]);
    const synth = synthesize([{ file: 'retail.ts', spec, issues: [] }], join(tempDir(), 'cdktf.out'));
    expect(synth.ok).toBe(true);
    expect(synth.warnings).toEqual([
      { file: 'retail.ts', path: 'services[2].vmSize', message: expect.stringMatching(/^quotas lists no standardFSv2Family: 80 vCPUs at peak/) },
    ]);
    // with no quotas at all nothing is checked, as documented, and nothing is said
    const none = validateEnvironment(withChange((s) => (s.quotas = {})));
    expect(none.ok && none.warnings).toEqual([]);
  });
});

describe('autoscale time zones', () => {
  const zones = [...new Set([...IANA_ALIAS_MAP.flatMap((a) => a.alias), ...WINDOWS_TO_IANA_MAP.flatMap((m) => m.iana)])].sort();
  const inZone = (tz: string) => withChange((s) => (s.services[0].autoscale.schedules[0].timeZone = tz));
  const path = 'services[0].autoscale.schedules[0].timeZone';

  test('every IANA zone windows-iana knows maps to a name azurerm accepts, or is a validation error at the field', () => {
    expect(zones.length).toBeGreaterThan(500);
    const refused: string[] = [];
    for (const tz of zones) {
      const r = validateEnvironment(inZone(tz));
      if (r.ok) {
        const windows = windowsTimeZone(tz);
        expect({ tz, allowed: windows !== undefined && AUTOSCALE_TIME_ZONES.includes(windows) }).toEqual({ tz, allowed: true });
        const profiles = planProfiles({ min: 3, default: 4, max: 20 }, r.environment.services[0].autoscale.schedules);
        for (const p of profiles) if (p.recurrence) expect(AUTOSCALE_TIME_ZONES).toContain(p.recurrence.timeZone);
      } else {
        expect({ tz, issues: r.issues.map((i) => i.path) }).toEqual({ tz, issues: [path] });
        expect(r.issues[0].message).toMatch(/maps to the Windows time zone '.+', which azurerm's autoscale setting does not accept|is not an IANA time zone Azure can map/);
        refused.push(tz);
      }
    }
    // the mapping library's names that azurerm's list lacks are among those refused
    expect(refused).toEqual(expect.arrayContaining(['America/Cancun', 'America/Havana', 'Australia/Lord_Howe', 'Pacific/Chatham', 'Europe/Volgograd']));
    expect(refused.length).toBeLessThan(zones.length / 5);
  });

  test("America/Cancun is refused with a zone of the same clock that Azure accepts; Europe/Amsterdam maps to 'W. Europe Standard Time'", () => {
    expect(problems(inZone('America/Cancun'))).toEqual([
      `${path}: 'America/Cancun' maps to the Windows time zone 'Eastern Standard Time (Mexico)', which azurerm's autoscale setting does not accept (a zone Azure accepts with the same clock in 2026: 'America/Bogota')`,
    ]);
    expect(mapTimeZone('Europe/Amsterdam')).toEqual({ ok: true, windows: 'W. Europe Standard Time' });
    expect(mapTimeZone('UTC')).toEqual({ ok: true, windows: 'UTC' });
  });

  test('the extraction script reads the list from the provider source it is given', () => {
    const checkout = tempDir('azurerm-');
    mkdirSync(join(checkout, 'internal/services/monitor'), { recursive: true });
    writeFileSync(
      join(checkout, 'internal/services/monitor/monitor_autoscale_setting_resource.go'),
      `package monitor\n\nfunc validateAutoScaleSettingsTimeZone() pluginsdk.SchemaValidateFunc {\n\ttimeZones := []string{\n${AUTOSCALE_TIME_ZONES.map((z) => `\t\t"${z}",`).join('\n')}\n\t}\n\treturn validation.StringInSlice(timeZones, false)\n}\n`,
    );
    const out = join(checkout, 'zones.ts');
    const r = spawnSync(process.execPath, [join(__dirname, '../../scripts/extract-autoscale-time-zones.js'), checkout, 'v4.55.0', '--out', out], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(__dirname, '../../lib/spec/autoscale-time-zones.ts'), 'utf8'));
  });

  // with a real provider checkout (AZURERM_CHECKOUT=<work tree at v4.55.0>), the committed list is the provider's
  (process.env.AZURERM_CHECKOUT ? test : test.skip)('the committed list is the one in the provider checkout', () => {
    const out = join(tempDir('azurerm-'), 'zones.ts');
    const r = spawnSync(process.execPath, [join(__dirname, '../../scripts/extract-autoscale-time-zones.js'), process.env.AZURERM_CHECKOUT!, 'v4.55.0', '--out', out], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(readFileSync(join(__dirname, '../../lib/spec/autoscale-time-zones.ts'), 'utf8'));
  });
});
