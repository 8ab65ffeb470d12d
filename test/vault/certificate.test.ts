/**
 * Certificates as azurerm's key_vault_certificate takes them: the content type and contents by the
 * imported file's format, a PKCS#12 password from a sensitive Terraform variable (proved with the
 * real terraform binary), extended key usages for mTLS, and the vault's and the front store's IP
 * rules for /31 and /32 deployer ranges.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { synthesize } from '../../stacks/synthesize';
import { exampleSpec, resourceAt, synthStacks, tempDir, type Json } from '../helpers';

const cert = (stack: Json, name: string) => resourceAt(stack, 'azurerm_key_vault_certificate', `certificate-${name}_certificate`);
const vaultOf = (spec: unknown) => JSON.parse(synthStacks(spec)['retail-vault']) as Json;
const lines = (spec: unknown) => {
  const r = validateEnvironment(spec);
  return r.ok ? [] : r.issues.map(formatIssue);
};

describe('imported certificate files', () => {
  const spec = exampleSpec();
  spec.keyVault!.certificates!.push(
    { name: 'legacy-pfx', issuer: 'imported', importFrom: { path: '/etc/retail-ci/legacy.pfx' }, subject: 'CN=legacy.retail.internal' },
    { name: 'legacy-p12', issuer: 'imported', importFrom: { path: '/etc/retail-ci/legacy.P12' }, subject: 'CN=legacy.retail.internal' },
    { name: 'legacy-pem', issuer: 'imported', importFrom: { path: '/etc/retail-ci/legacy.pem' }, subject: 'CN=legacy.retail.internal' },
  );
  const vault = vaultOf(spec);

  test('a PEM file is sent as text with content type application/x-pem-file; PKCS#12 as base64 with application/x-pkcs12', () => {
    expect(cert(vault, 'legacy-pem').certificate).toEqual({ contents: '${file("/etc/retail-ci/legacy.pem")}' });
    expect(cert(vault, 'legacy-pem').certificate_policy.secret_properties).toEqual({ content_type: 'application/x-pem-file' });
    for (const name of ['legacy-pfx', 'legacy-p12']) {
      expect(cert(vault, name).certificate.contents).toMatch(/^\$\{filebase64\("\/etc\/retail-ci\/legacy\.(pfx|P12)"\)\}$/);
      expect(cert(vault, name).certificate_policy.secret_properties).toEqual({ content_type: 'application/x-pkcs12' });
    }
  });

  test("a certificate the vault issues for the front is kept as PEM (the front's agent hands the secret to nginx); other issued ones stay PKCS#12", () => {
    const s = exampleSpec();
    s.keyVault!.certificates!.push({ name: 'api-internal', subject: 'CN=api.retail.internal' });
    const v = vaultOf(s);
    expect(cert(v, 'front-tls').certificate_policy.secret_properties).toEqual({ content_type: 'application/x-pem-file' });
    expect(cert(v, 'front-tls').certificate_policy.issuer_parameters).toEqual({ name: 'Self' });
    expect(cert(v, 'api-internal').certificate_policy.secret_properties).toEqual({ content_type: 'application/x-pkcs12' });
  });

  test('a front certificate imported from a PKCS#12 file is refused at front.tlsCertificate, with the hint to import it as PEM; a PEM import is accepted', () => {
    const bad = exampleSpec();
    bad.keyVault!.certificates!.push({ name: 'front-pfx', issuer: 'imported', importFrom: { path: '/etc/retail-ci/front.pfx' }, subject: 'CN=retail.internal' });
    bad.front = { tlsCertificate: 'front-pfx' };
    expect(lines(bad)).toEqual([
      "front.tlsCertificate: names 'front-pfx', imported from a PKCS#12 file (keyVault.certificates[1].importFrom.path): the front serves the vault's secret to nginx, which reads PEM (import it as PEM: a .pem file with the certificate chain and its PKCS#8 private key (openssl pkcs12 -in cert.pfx -nodes -out cert.pem))",
    ]);
    const good = exampleSpec();
    good.keyVault!.certificates!.push({ name: 'front-pem', issuer: 'imported', importFrom: { path: '/etc/retail-ci/front.pem' }, subject: 'CN=retail.internal' });
    good.front = { tlsCertificate: 'front-pem' };
    expect(lines(good)).toEqual([]);
  });

  test('refuses a file whose name does not say its format, a password on a PEM file, and a path Terraform would interpolate', () => {
    const bad = exampleSpec() as Json;
    bad.keyVault.certificates.push(
      { name: 'a', issuer: 'imported', importFrom: { path: '/etc/ci/a.crt' }, subject: 'CN=a' },
      { name: 'b', issuer: 'imported', importFrom: { path: '/etc/ci/b.pem', passwordEnv: 'TF_VAR_b_password' }, subject: 'CN=b' },
      { name: 'c', issuer: 'imported', importFrom: { path: '/etc/ci/${var.x}.pfx' }, subject: 'CN=c' },
      { name: 'd', issuer: 'imported', importFrom: { path: '/etc/ci/d.pfx', passwordEnv: 'PFX_PASSWORD' }, subject: 'CN=d' },
    );
    expect(lines(bad)).toEqual([
      "keyVault.certificates[1].importFrom.path: '/etc/ci/a.crt' does not say its format: Key Vault needs the content type, application/x-pkcs12 or application/x-pem-file (name the file .pfx or .p12 (PKCS#12), or .pem (certificate and PKCS#8 private key))",
      'keyVault.certificates[2].importFrom.passwordEnv: a PEM file takes no password: Key Vault imports PEM with an unencrypted PKCS#8 private key (remove passwordEnv, or import the PKCS#12 (.pfx) file instead)',
      "keyVault.certificates[3].importFrom.path: '/etc/ci/${var.x}.pfx' is not an absolute path outside the repository, without spaces, quotes, backslashes, $, % or braces",
      "keyVault.certificates[4].importFrom.passwordEnv: 'PFX_PASSWORD' is not an environment variable Terraform reads, 'TF_VAR_<name>' (letters, digits, _)",
    ]);
  });
});

describe('imported file contents, when the file is there at synth (made by openssl)', () => {
  const dir = tempDir('certs-');
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '30', '-subj', '/CN=legacy.retail.internal');
  ssl('pkcs12', '-export', '-in', 'cert.pem', '-inkey', 'key.pem', '-out', 'good.pfx', '-passout', 'pass:x');
  const key = readFileSync(join(dir, 'key.pem'), 'utf8');
  const crt = readFileSync(join(dir, 'cert.pem'), 'utf8');
  writeFileSync(join(dir, 'good.pem'), crt + key);
  writeFileSync(join(dir, 'crlf.pem'), (crt + key).replace(/\n/g, '\r\n'));
  writeFileSync(join(dir, 'pkcs1.pem'), crt + ssl('pkey', '-in', 'key.pem', '-traditional').toString());
  writeFileSync(join(dir, 'nokey.pem'), crt);
  writeFileSync(join(dir, 'swapped.pfx'), crt + key);
  writeFileSync(join(dir, 'swapped.pem'), readFileSync(join(dir, 'good.pfx')));
  const synthWith = (files: string[]) => {
    const spec = exampleSpec();
    spec.keyVault!.certificates!.push(...files.map((f, i) => ({ name: `legacy-${i}`, issuer: 'imported', importFrom: { path: join(dir, f) }, subject: 'CN=legacy' })));
    return synthesize([{ file: 'retail.ts', spec, issues: [] }], join(tempDir(), 'cdktf.out'));
  };

  test('accepts a PEM with certificate and PKCS#8 key, and a PKCS#12 file', () => {
    const r = synthWith(['good.pem', 'good.pfx']);
    expect(r.problems).toEqual([]);
    expect(r.ok).toBe(true);
  });

  test('refuses CRLF line endings, a PKCS#1 key, a PEM without key, and swapped formats, at each path, writing nothing', () => {
    const out = join(tempDir(), 'cdktf.out');
    const spec = exampleSpec();
    const files = ['crlf.pem', 'pkcs1.pem', 'nokey.pem', 'swapped.pfx', 'swapped.pem'];
    spec.keyVault!.certificates!.push(...files.map((f, i) => ({ name: `legacy-${i}`, issuer: 'imported', importFrom: { path: join(dir, f) }, subject: 'CN=legacy' })));
    const r = synthesize([{ file: 'retail.ts', spec, issues: [] }], out);
    expect(r.ok).toBe(false);
    expect(r.problems.flatMap((p) => p.issues.map(formatIssue))).toEqual([
      `keyVault.certificates[1].importFrom.path: ${dir}/crlf.pem has Windows line endings; Key Vault takes PEM with '\\n' only (dos2unix) (Terraform reads it at plan time, and Key Vault refuses it at apply)`,
      expect.stringMatching(/^keyVault\.certificates\[2\]\.importFrom\.path: .*pkcs1\.pem holds a PKCS#1\/SEC1 private key; Key Vault wants PKCS#8 \(openssl pkcs8 -topk8 -nocrypt -in key\.pem\)/),
      expect.stringMatching(/^keyVault\.certificates\[3\]\.importFrom\.path: .*nokey\.pem holds no private key/),
      expect.stringMatching(/^keyVault\.certificates\[4\]\.importFrom\.path: .*swapped\.pfx is named as PKCS#12 but holds PEM text: name it \.pem/),
      expect.stringMatching(/^keyVault\.certificates\[5\]\.importFrom\.path: .*swapped\.pem is named \.pem but holds binary DER \(PKCS#12\?\): name it \.pfx/),
    ]);
    expect(existsSync(out)).toBe(false);
  });
});

describe('PKCS#12 password', () => {
  const SECRET = 'pfx-Secret-8d1f2b';
  const spec = exampleSpec();
  spec.keyVault!.certificates!.push(
    { name: 'partner', issuer: 'imported', importFrom: { path: '/etc/retail-ci/partner.pfx', passwordEnv: 'TF_VAR_partner_pfx_password' }, subject: 'CN=partner' },
    { name: 'partner-old', issuer: 'imported', importFrom: { path: '/etc/retail-ci/partner-old.pfx', passwordEnv: 'TF_VAR_partner_pfx_password' }, subject: 'CN=partner' },
  );

  test('comes from a sensitive Terraform variable, declared once per stack; the value is never in the synthesized output', () => {
    const before = process.env.TF_VAR_partner_pfx_password;
    process.env.TF_VAR_partner_pfx_password = SECRET;
    let stacks: Record<string, string>;
    try {
      stacks = synthStacks(spec);
    } finally {
      if (before === undefined) delete process.env.TF_VAR_partner_pfx_password;
      else process.env.TF_VAR_partner_pfx_password = before;
    }
    const vault = JSON.parse(stacks['retail-vault']) as Json;
    expect(cert(vault, 'partner').certificate).toEqual({ contents: '${filebase64("/etc/retail-ci/partner.pfx")}', password: '${var.partner_pfx_password}' });
    expect(cert(vault, 'partner-old').certificate.password).toBe('${var.partner_pfx_password}');
    expect(Object.keys(vault.variable)).toEqual(['partner_pfx_password']);
    expect(vault.variable.partner_pfx_password).toMatchObject({ type: 'string', sensitive: true, nullable: false });
    expect(vault.variable.partner_pfx_password.default).toBeUndefined();
    for (const [name, text] of Object.entries(stacks)) expect({ name, leaks: text.includes(SECRET) }).toEqual({ name, leaks: false });
  });

  test('the synth warns when the variable is unset where it runs, and still writes', () => {
    const before = process.env.TF_VAR_partner_pfx_password;
    delete process.env.TF_VAR_partner_pfx_password;
    try {
      const r = synthesize([{ file: 'retail.ts', spec, issues: [] }], join(tempDir(), 'cdktf.out'));
      expect(r.ok).toBe(true);
      expect(r.warnings!.filter((w) => w.path.includes('passwordEnv'))).toEqual([
        { file: 'retail.ts', path: 'keyVault.certificates[1].importFrom.passwordEnv', message: expect.stringMatching(/^TF_VAR_partner_pfx_password is not set here: terraform plan of the vault stack stops with "No value for required variable"/) },
        { file: 'retail.ts', path: 'keyVault.certificates[2].importFrom.passwordEnv', message: expect.stringMatching(/^TF_VAR_partner_pfx_password is not set here/) },
      ]);
    } finally {
      if (before !== undefined) process.env.TF_VAR_partner_pfx_password = before;
    }
  });

  test('real terraform: unset stops the plan, empty stops it with our message, set keeps it a sensitive value', () => {
    const variable = (JSON.parse(synthStacks(spec)['retail-vault']) as Json).variable;
    const dir = tempDir('tf-password-');
    // the vault stack's own variable block, used by a built-in resource (no provider download)
    writeFileSync(join(dir, 'main.tf.json'), JSON.stringify({ variable, resource: { terraform_data: { uses: { input: '${var.partner_pfx_password}' } } } }));
    const env: NodeJS.ProcessEnv = { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null', CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', NO_COLOR: '1' };
    delete env.TF_VAR_partner_pfx_password;
    execFileSync('terraform', ['init', '-input=false', '-no-color'], { cwd: dir, env, encoding: 'utf8' });
    const plan = (value?: string) => spawnSync('terraform', ['plan', '-input=false', '-no-color'], { cwd: dir, encoding: 'utf8', env: value === undefined ? env : { ...env, TF_VAR_partner_pfx_password: value } });
    const unset = plan();
    expect(unset.status).toBe(1);
    expect(unset.stderr).toMatch(/No value for required variable[^]*variable "partner_pfx_password" is not set/);
    const empty = plan('');
    expect(empty.status).toBe(1);
    expect(empty.stderr.replace(/│\s*/g, '').replace(/\s+/g, ' ')).toContain('TF_VAR_partner_pfx_password is empty: set it to the password of the PKCS#12 file imported as Key Vault certificate partner.');
    const set = plan(SECRET);
    expect(set.stderr).toBe('');
    expect(set.status).toBe(0);
    expect(set.stdout).toMatch(/\+ input +\= \(sensitive value\)/);
    expect(set.stdout).not.toContain(SECRET);
  });
});

describe('extended key usages', () => {
  test("a '-mtls' certificate gets client authentication too; the front's TLS certificate server authentication only; declared usages win", () => {
    const spec = exampleSpec();
    spec.keyVault!.certificates!.push({ name: 'catalog-mtls', subject: 'CN=catalog.retail.internal' }, { name: 'client-only', subject: 'CN=client', extendedKeyUsage: ['clientAuth'] });
    const vault = vaultOf(spec);
    const eku = (name: string) => cert(vault, name).certificate_policy.x509_certificate_properties.extended_key_usage;
    expect(eku('catalog-mtls')).toEqual(['1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.2']);
    expect(eku('front-tls')).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(eku('client-only')).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  test("refuses a front certificate without 'serverAuth'", () => {
    const spec = exampleSpec() as Json;
    spec.keyVault.certificates[0].extendedKeyUsage = ['clientAuth'];
    expect(lines(spec)).toEqual(["front.tlsCertificate: names 'front-tls', whose extendedKeyUsage has no 'serverAuth': TLS clients refuse it as a server certificate (add 'serverAuth' to its extendedKeyUsage)"]);
  });
});

describe('firewall IP rules for the deployer', () => {
  test('a /31 becomes two address rules and a /32 one, on the vault and on the front store (Storage refuses both prefixes)', () => {
    const spec = exampleSpec();
    spec.deployer.ipRanges = ['203.0.113.0/28', '198.51.100.6/31', '192.0.2.44/32'];
    const stacks = synthStacks(spec);
    const rules = ['203.0.113.0/28', '198.51.100.6', '198.51.100.7', '192.0.2.44'];
    expect(resourceAt(JSON.parse(stacks['retail-vault']), 'azurerm_key_vault', 'key-vault_vault').network_acls.ip_rules).toEqual(rules);
    const front = JSON.parse(stacks['retail-front']) as Json;
    const stores = Object.values(front.resource.azurerm_storage_account as Record<string, Json>);
    expect(stores).toHaveLength(1);
    expect(stores[0].network_rules.ip_rules).toEqual(rules);
  });
});

describe('key usage by key type', () => {
  test('an EC certificate gets digitalSignature only (RFC 8813: never keyEncipherment); RSA keeps keyEncipherment', () => {
    const spec = exampleSpec();
    spec.keyVault!.certificates!.push({ name: 'api-ec', subject: 'CN=api.retail.internal', keyType: 'EC' });
    const vault = vaultOf(spec);
    expect(cert(vault, 'api-ec').certificate_policy.key_properties).toMatchObject({ key_type: 'EC', curve: 'P-256' });
    expect(cert(vault, 'api-ec').certificate_policy.x509_certificate_properties.key_usage).toEqual(['digitalSignature']);
    expect(cert(vault, 'front-tls').certificate_policy.x509_certificate_properties.key_usage).toEqual(['digitalSignature', 'keyEncipherment']);
  });
});

describe("an 'external' certificate: imported outside Terraform, only read (docs/state.md)", () => {
  const spec = exampleSpec();
  spec.keyVault!.certificates!.push({ name: 'partner', issuer: 'external', subject: 'CN=partner.retail.internal' });
  spec.services[2].certificates = ['partner'];
  const stacks = synthStacks(spec);
  const vault = JSON.parse(stacks['retail-vault']) as Json;

  test('the vault stack reads it with a data source and manages no certificate of that name: no file, no password, no key in state', () => {
    expect(Object.keys(vault.resource.azurerm_key_vault_certificate).filter((a) => a.includes('partner'))).toEqual([]);
    const data = vault.data.azurerm_key_vault_certificate['certificate-partner_certificate'];
    expect(data).toMatchObject({ name: 'partner', key_vault_id: '${azurerm_key_vault.key-vault_vault.id}' });
    // read after the deployer's data-plane grants have propagated, like the certificates it creates
    expect(data.depends_on).toEqual(vault.resource.azurerm_key_vault_certificate['certificate-front-tls_certificate'].depends_on);
    expect(stacks['retail-vault']).not.toMatch(/filebase64|"password"/);
    expect(vault.variable).toBeUndefined();
  });

  test("services use it by name, as any other certificate (the VM extension observes the vault's secret URL)", () => {
    const vmss = resourceAt(stacks['retail-svc-catalog'], 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss');
    const kv = (vmss.extension as Json[]).find((e: Json) => e.type === 'KeyVaultForLinux');
    const vaultName = (Object.values(vault.resource.azurerm_key_vault)[0] as Json).name;
    expect(JSON.parse(kv!.settings).secretsManagementSettings.observedCertificates).toEqual([`https://${vaultName}.vault.azure.net/secrets/partner`]);
  });

  test('naming a file for it is refused at its field', () => {
    const bad = exampleSpec();
    bad.keyVault!.certificates!.push({ name: 'partner', issuer: 'external', importFrom: { path: '/etc/retail-ci/partner.pfx' }, subject: 'CN=partner' });
    expect(lines(bad)).toEqual([expect.stringMatching(/^keyVault\.certificates\[\d+\]\.importFrom: only an imported certificate names a file \(issuer is 'external'\)/)]);
  });
});
