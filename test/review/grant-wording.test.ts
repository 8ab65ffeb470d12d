/**
 * Every argument of azurerm_role_assignment is ForceNew, the description too: a reworded grant is
 * deleted and created again (a window without access; a duplicate Azure refuses where the create
 * comes first). The review blocks a replacement that only rewords, and the wording the library
 * writes is pinned here, so a change to it is a decision, not an accident.
 */
import { GRANT_REWORDED, reviewOutputs } from '../../lib/review/compare';
import type { SynthOutput } from '../../lib/review/config-diff';
import { exampleSpec, type Json } from '../helpers';
import { History } from '../lifecycle/harness';

let history: History;
beforeEach(() => (history = new History()));
afterEach(() => history.cleanUp());

test('a grant replaced only for its description is blocked with the reason', () => {
  const base = history.ok(exampleSpec());
  const after = structuredClone(base) as { -readonly [K in keyof SynthOutput]: Json };
  after.stacks['retail-front'].resource.azurerm_role_assignment['front_front-reads'].description = 'front VMs read their blobs';
  const r = reviewOutputs(base, after as unknown as SynthOutput);
  expect(r.blockers.filter((b) => b.reason === GRANT_REWORDED).map((b) => b.resource)).toEqual(['retail-front:azurerm_role_assignment.front_front-reads']);
  expect(r.exitCode).toBe(1);
});

test("the descriptions the example's grants carry (rewording one replaces it)", () => {
  const out = history.ok(exampleSpec());
  const descriptions = Object.entries(out.stacks).flatMap(([stack, j]) =>
    Object.entries(((j as Json).resource?.azurerm_role_assignment ?? {}) as Record<string, Json>).map(([a, r]) => `${stack}:${a}: ${r.description ?? '(none)'}`),
  );
  expect(descriptions.sort()).toEqual([
    'retail-front:front_deployer-writes: Terraform writes the front config and routing table',
    'retail-front:front_front-reads: front VMs read their config and routing table',
    'retail-identities:front_tls-reader: front: read the TLS certificate front-tls',
    'retail-identities:svc-catalog-blue_artifact-reader: catalog blue: read release artifacts',
    'retail-identities:svc-catalog-green_artifact-reader: catalog green: read release artifacts',
    'retail-identities:svc-order-processing-blue_artifact-reader: order-processing blue: read release artifacts',
    'retail-identities:svc-order-processing-green_artifact-reader: order-processing green: read release artifacts',
    'retail-identities:svc-pricing-blue_artifact-reader: pricing blue: read release artifacts',
    'retail-identities:svc-pricing-blue_secret-pricing-db-password: pricing blue: read the secret pricing-db-password',
    'retail-identities:svc-pricing-green_artifact-reader: pricing green: read release artifacts',
    'retail-identities:svc-pricing-green_secret-pricing-db-password: pricing green: read the secret pricing-db-password',
    'retail-monitor:quota-reader-subscription: retail: the vCPU quota alert reads QuotaResources in Azure Resource Graph',
    'retail-vault:key-vault_deployer-certificates: (none)',
    'retail-vault:key-vault_deployer-secrets: (none)',
  ]);
});
