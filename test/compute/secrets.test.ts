/**
 * Service secrets from Key Vault (seed 003: never in the repository or custom data): the spec's
 * references, the grants on each secret one apply before the VMs, the units, and the fetcher run
 * for real against a stub IMDS and a stub vault on loopback.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { unitNames, VM_PATHS } from '../../lib/compute/cloud-init';
import { azureIds } from '../../lib/core/azure-ids';
import { formatIssue } from '../../lib/spec/issues';
import { validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec, layOutVm, planOf, resourceAt, resourcesOf, synthStacks, systemdVerify, tempDir } from '../helpers';
import { vmProgram } from '../support/vm-programs';
import { decodeCustomData } from '../../lib/compute/scale-set';

const withSecrets = () => {
  const spec = exampleSpec();
  spec.services[0].settings = { PRICE_CACHE_SECONDS: '30', DB_PASSWORD: { secret: 'pricing-db-password' }, API_TOKEN: { secret: 'pricing-api-token' } };
  return spec;
};
const plan = planOf(withSecrets());
const stacks = synthStacks(withSecrets());
const vmss = resourceAt(stacks['retail-svc-pricing'], 'azurerm_linux_virtual_machine_scale_set', 'blue_scale-set_vmss');
const text = decodeCustomData(vmss.custom_data as string);
const doc = parse(text) as { write_files: Array<{ path: string; content: string; permissions: string }> };
const file = (path: string) => doc.write_files.find((f) => f.path === path)!;

describe('secret references in settings', () => {
  test('need the environment to have a vault, and a valid secret name', () => {
    const spec = withSecrets();
    delete spec.keyVault;
    spec.front = {};
    (spec.services[0].settings as Record<string, unknown>).BAD = { secret: 'no spaces allowed' };
    const r = validateEnvironment(spec);
    expect(r.ok ? [] : r.issues.map(formatIssue)).toEqual([
      "services[0].settings.API_TOKEN: is the Key Vault secret 'pricing-api-token', but the environment has no keyVault (declare keyVault, or give a plain value)",
      "services[0].settings.BAD: is the Key Vault secret 'no spaces allowed', but the environment has no keyVault (declare keyVault, or give a plain value)",
      "services[0].settings.BAD.secret: 'no spaces allowed' is not a Key Vault secret name: 1-127 letters, digits, hyphens",
      "services[0].settings.DB_PASSWORD: is the Key Vault secret 'pricing-db-password', but the environment has no keyVault (declare keyVault, or give a plain value)",
    ]);
  });

  test("each slot's identity may read exactly those secrets, granted in the identities stack", () => {
    const vaultId = azureIds.keyVault(plan.env.subscriptionId, 'rg-retail-vault', plan.names.keyVault);
    const ids = stacks['retail-identities'];
    for (const slot of ['blue', 'green']) {
      for (const secret of ['pricing-api-token', 'pricing-db-password']) {
        expect(resourceAt(ids, 'azurerm_role_assignment', `svc-pricing-${slot}_secret-${secret}`)).toMatchObject({
          scope: `${vaultId}/secrets/${secret}`,
          role_definition_name: 'Key Vault Secrets User',
          principal_id: `\${azurerm_user_assigned_identity.svc-pricing-${slot}_identity.principal_id}`,
        });
      }
    }
    expect(Object.keys(resourcesOf(ids, 'azurerm_role_assignment')).filter((k) => k.includes('_secret-'))).toHaveLength(4);
  });

  test('custom data names the secrets but holds no value; the plain settings stay in the release env', () => {
    expect(file(VM_PATHS.secretsList('pricing'))).toMatchObject({ permissions: '0600', content: 'API_TOKEN pricing-api-token\nDB_PASSWORD pricing-db-password\n' });
    expect(file(VM_PATHS.releaseEnv('pricing')).content).toContain('PRICE_CACHE_SECONDS="30"');
    expect(file(VM_PATHS.releaseEnv('pricing')).content).not.toContain('DB_PASSWORD');
    const instance = file(`/etc/systemd/system/${unitNames('pricing').instance}`).content;
    expect(instance).toContain('Requires=pricing-release.service pricing-secrets.service');
    expect(instance).toContain(`EnvironmentFile=${VM_PATHS.secretsEnv('pricing')}`);
    expect(file(`/etc/systemd/system/${unitNames('pricing').secrets}`).content).toContain(`ExecStart=${VM_PATHS.retry} /run/slotenv/pricing-secrets.state /usr/bin/python3 ${VM_PATHS.secrets} pricing ${plan.names.keyVault} ${azureIds.userAssignedIdentity(plan.env.subscriptionId, 'rg-retail-identities', 'id-retail-pricing-blue')} /etc/pricing/secrets.list /run/slotenv-secrets/pricing.env`);
  });

  test('the document passes cloud-init schema, and its units pass systemd-analyze verify laid out as on the VM', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'user-data.yaml'), text);
    const schema = spawnSync('cloud-init', ['schema', '--config-file', join(dir, 'user-data.yaml')], { encoding: 'utf8' });
    expect(schema.stderr).toBe('');
    expect(schema.status).toBe(0);
    const root = layOutVm(doc.write_files, { services: ['pricing'], binaries: ['/usr/bin/python3'] });
    const r = systemdVerify(root, [unitNames('pricing').secrets, unitNames('pricing').instanceOf(10000)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});

describe('the secrets fetcher, run for real', () => {
  const identity = '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-x';
  const values: Record<string, string> = { 'pricing-db-password': 'p@ss "word" \\ $HOME', 'pricing-api-token': 'tok-123' };
  let server: http.Server;
  let port: number;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname === '/metadata/identity/oauth2/token') {
        const ok = req.headers.metadata === 'true' && url.searchParams.get('resource') === 'https://vault.azure.net' && url.searchParams.get('msi_res_id') === identity;
        return void res.writeHead(ok ? 200 : 400).end(ok ? '{"access_token":"kv-token"}' : '{}');
      }
      const m = /^\/secrets\/([A-Za-z0-9-]+)$/.exec(url.pathname);
      if (!m || req.headers.authorization !== 'Bearer kv-token' || url.searchParams.get('api-version') !== '7.4') return void res.writeHead(403).end();
      const value = values[m[1]];
      res.writeHead(value === undefined ? 404 : 200, { 'content-type': 'application/json' }).end(value === undefined ? '{"error":{"code":"SecretNotFound"}}' : JSON.stringify({ value, id: `x/${m[1]}/v1` }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  /** Runs it with a secrets.list under a fresh prefix; async, as the stubs answer from this process. */
  function run(list: string): Promise<{ code: number | null; out: string; prefix: string }> {
    const prefix = tempDir('secrets-');
    mkdirSync(join(prefix, 'etc/pricing'), { recursive: true });
    writeFileSync(join(prefix, 'etc/pricing/secrets.list'), list);
    const script = join(prefix, 'fetch-secrets');
    copyFileSync(vmProgram('service', 'fetch-secrets.py'), script);
    return new Promise((resolve) => {
      const child = spawn('python3', [script, 'pricing', 'kv-retail-abc123', identity, VM_PATHS.secretsList('pricing'), VM_PATHS.secretsEnv('pricing')], {
        env: { ...process.env, SLOTENV_PREFIX: prefix, IMDS_ENDPOINT: `http://127.0.0.1:${port}`, VAULT_URL: `http://127.0.0.1:${port}` },
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (out += d));
      child.on('exit', (code) => resolve({ code, out, prefix }));
    });
  }

  test('writes every secret, quoted for systemd, to a file only root can read', async () => {
    const r = await run('API_TOKEN pricing-api-token\nDB_PASSWORD pricing-db-password\n');
    expect(r.out).toBe('fetch-secrets: pricing: 2 secret(s) in place\n');
    expect(r.code).toBe(0);
    const env = join(r.prefix, VM_PATHS.secretsEnv('pricing'));
    expect(readFileSync(env, 'utf8')).toBe('API_TOKEN="tok-123"\nDB_PASSWORD="p@ss \\"word\\" \\\\ $HOME"\n');
    expect(statSync(env).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(env)).mode & 0o777).toBe(0o700);
  });

  test('a missing secret fails the start, naming it; nothing is written', async () => {
    const r = await run('API_TOKEN pricing-api-token\nDB_PASSWORD pricing-db-pasword\n');
    expect(r.code).toBe(1);
    expect(r.out).toBe('fetch-secrets: pricing: secret pricing-db-pasword (for DB_PASSWORD): HTTP 404 from the vault\n');
    expect(() => statSync(join(r.prefix, VM_PATHS.secretsEnv('pricing')))).toThrow();
  });

  test('a multi-line secret is refused: an environment variable holds one line', async () => {
    values['pricing-cert'] = 'line one\nline two';
    const r = await run('CERT pricing-cert\n');
    expect(r.code).toBe(65); // a failure for good: retrying cannot mend the value
    expect(r.out).toBe('fetch-secrets: pricing: secret pricing-cert (for CERT) has more than one line; an environment variable holds one\n');
  });
});
