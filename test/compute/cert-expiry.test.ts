/**
 * The certificate-expiry report (lib/compute/vm/cert-expiry.sh, lib/compute/cert-expiry.ts), run
 * for real by sh with openssl on certificates made here, `logger` replaced by a stand-in that
 * records its arguments; its lines read back by the alert's patterns; its units through
 * systemd-analyze verify, on both VM kinds of the example.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import { CERT_EXPIRY_PATH, CERT_EXPIRY_SCRIPT, CERT_EXPIRY_UNITS } from '../../lib/compute/cert-expiry';
import { workspaceAlerts } from '../../lib/monitor/queries';
import { monitoringOf } from '../../lib/monitor/monitoring';

import { exampleSpec, exampleStacks, layOutVm, planOf, resourceAt, synthStacks, systemdVerify, tempDir } from '../helpers';
import { decodeCustomData } from '../../lib/compute/scale-set';

const dir = tempDir('cert-expiry-');
const cert = (name: string, days: number) => {
  const path = join(dir, `${name}.pem`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', `/CN=${name}`, '-days', String(days), '-keyout', path, '-out', `${path}.crt`], { stdio: 'ignore' });
  // as the publisher writes it: the key, then the certificate, in one file
  writeFileSync(path, readFileSync(path, 'utf8') + readFileSync(`${path}.crt`, 'utf8'));
  return path;
};

function report(...pairs: string[]): string[] {
  const bin = join(dir, 'bin');
  execFileSync('mkdir', ['-p', bin]);
  writeFileSync(join(bin, 'logger'), `#!/bin/sh\nprintf '%s\\n' "$*" >> "${dir}/log"\n`);
  chmodSync(join(bin, 'logger'), 0o755);
  writeFileSync(join(dir, 'log'), '');
  writeFileSync(join(dir, 'cert-expiry'), CERT_EXPIRY_SCRIPT);
  const r = spawnSync('sh', [join(dir, 'cert-expiry'), ...pairs], { env: { ...process.env, PATH: `${bin}:${process.env.PATH}` }, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return readFileSync(join(dir, 'log'), 'utf8').trim().split('\n');
}

test('one line per certificate, tagged for the Syslog table: its expiry and the days left; a missing or unreadable file is a warning naming it', () => {
  const soon = cert('soon', 10);
  const later = cert('later', 400);
  writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n');
  const lines = report(`pricing/api=${soon}`, `front-tls=${later}`, `pricing/gone=${join(dir, 'gone.pem')}`, `pricing/junk=${join(dir, 'garbage.pem')}`);
  expect(lines).toEqual([
    expect.stringMatching(/^-t ase-cert-expiry -p user\.notice pricing\/api expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ in (9|10) days$/),
    expect.stringMatching(/^-t ase-cert-expiry -p user\.notice front-tls expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ in (399|400) days$/),
    `-t ase-cert-expiry -p user.warning pricing/gone missing: ${join(dir, 'gone.pem')} cannot be read`,
    `-t ase-cert-expiry -p user.warning pricing/junk unreadable: ${join(dir, 'garbage.pem')} holds no certificate openssl can read`,
  ]);
  // the expiry it names is the certificate's own
  const end = execFileSync('openssl', ['x509', '-noout', '-enddate', '-in', soon], { encoding: 'utf8' }).replace(/^notAfter=/, '').trim();
  expect(lines[0]).toContain(new Date(end).toISOString().replace(/\.000Z$/, 'Z'));
});

test("the alert's patterns read those lines: the certificate, its days left, and no days for a warning (which alerts too)", () => {
  const alert = workspaceAlerts(monitoringOf(planOf(exampleSpec()))!).find((a) => a.key === 'certificate-expiry')!;
  expect(alert.query).toContain("| where ProcessName == 'ase-cert-expiry'");
  expect(alert.query).toContain('| where isnull(DaysLeft) or DaysLeft < 14');
  expect(alert.schedule).toEqual({ frequency: 'PT6H', window: 'P1D' });
  // the two extract() patterns (RE2 there; these constructs mean the same in JavaScript)
  const certificate = new RegExp(/extract\(@"([^"]+)", 1, SyslogMessage\), DaysLeft/.exec(alert.query)![1]);
  const days = new RegExp(/DaysLeft = toint\(extract\(@"([^"]+)"/.exec(alert.query)![1]);
  const message = (line: string) => line.replace(/^-t \S+ -p \S+ /, ''); // SyslogMessage is the text after the tag
  const lines = report(`front-tls=${cert('expired', 1)}`, `pricing/api=${cert('ok', 90)}`, `x/gone=${join(dir, 'none.pem')}`).map(message);
  expect(lines.map((l) => certificate.exec(l)?.[1])).toEqual(['front-tls', 'pricing/api', 'x/gone']);
  expect(Number(days.exec(lines[0])![1])).toBeLessThanOrEqual(1);
  expect(Number(days.exec(lines[1])![1])).toBeGreaterThanOrEqual(89);
  expect(days.exec(lines[2])).toBeNull();
});

test('the threshold: 14 days, one day before the soonest renewal when that is sooner, or the spec`s', () => {
  const days = (mutate: (s: ReturnType<typeof exampleSpec>) => void) => {
    const spec = exampleSpec();
    mutate(spec);
    return monitoringOf(planOf(spec))!.certificateExpiry;
  };
  expect(days(() => undefined)).toEqual({ certificates: ['front-tls'], days: 14 });
  expect(days((s) => (s.keyVault!.certificates![0].renewBeforeDays = 10))!.days).toBe(9);
  expect(days((s) => (s.monitoring = { alerts: { certificateExpiryDays: 40 } }))!.days).toBe(40);
  // no certificate on any VM: no alert
  expect(days((s) => delete s.front!.tlsCertificate)).toBeUndefined();
});

describe('the units, on both VM kinds of the example', () => {
  const docOf = (stack: string, address: string) => {
    const vmss = resourceAt(exampleStacks()[stack], 'azurerm_linux_virtual_machine_scale_set', address);
    const doc = parse(decodeCustomData(vmss.custom_data as string)) as { write_files: Array<{ path: string; content: string; permissions: string; encoding?: string }>; runcmd: string[][] };
    return { ...doc, write_files: doc.write_files.map((f) => (f.encoding === 'gz+b64' ? { ...f, content: gunzipSync(Buffer.from(f.content, 'base64')).toString('utf8') } : f)) };
  };

  test('the front reports its TLS certificate; the timer passes systemd-analyze verify and is started', () => {
    const doc = docOf('retail-front', 'front_scale-set_vmss');
    const unit = doc.write_files.find((f) => f.path === `/etc/systemd/system/${CERT_EXPIRY_UNITS.service}`)!;
    expect(unit.content).toContain(`ExecStart=${CERT_EXPIRY_PATH} front-tls=/etc/front/tls/front.pem`);
    expect(doc.write_files.find((f) => f.path === CERT_EXPIRY_PATH)).toMatchObject({ permissions: '0755', content: CERT_EXPIRY_SCRIPT });
    expect(doc.runcmd.flat()).toContain(CERT_EXPIRY_UNITS.timer);
    const root = layOutVm(doc.write_files, { binaries: ['/usr/bin/sh'] });
    const r = systemdVerify(root, [CERT_EXPIRY_UNITS.timer, CERT_EXPIRY_UNITS.service]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('a service VM reports each of its Key Vault certificates, where the publisher puts them', () => {
    const spec = exampleSpec();
    spec.services.find((x) => x.name === 'pricing')!.certificates = ['front-tls'];
    const vmss = resourceAt(synthStacks(spec)['retail-svc-pricing'], 'azurerm_linux_virtual_machine_scale_set', 'green_scale-set_vmss');
    const doc = parse(decodeCustomData(vmss.custom_data as string)) as { write_files: Array<{ path: string; content: string; permissions: string }>; runcmd: string[][] };
    expect(doc.write_files.find((f) => f.path === `/etc/systemd/system/${CERT_EXPIRY_UNITS.service}`)!.content).toContain(`ExecStart=${CERT_EXPIRY_PATH} pricing/front-tls=/etc/pricing/certs/front-tls.pem`);
    expect(doc.runcmd.flat()).toContain(CERT_EXPIRY_UNITS.timer);
    const root = layOutVm(doc.write_files, { services: ['pricing'] });
    const r = systemdVerify(root, [CERT_EXPIRY_UNITS.timer]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test('a service VM without certificates has no reporter (the example`s pricing has none)', () => {
    const doc = docOf('retail-svc-pricing', 'blue_scale-set_vmss');
    expect(doc.write_files.some((f) => f.path === CERT_EXPIRY_PATH)).toBe(false);
    expect(doc.runcmd.flat()).not.toContain(CERT_EXPIRY_UNITS.timer);
  });
});
