/**
 * Warnings: what a valid spec allows but a reviewer should see (pure). The synth prints them and
 * still writes; they never fail it. The policy pack (lib/policy) will take these over with IDs
 * and suppressions.
 */
import type { Environment } from './schema';

export interface SpecWarning {
  readonly path: string;
  readonly message: string;
}

export function specWarnings(env: Environment): SpecWarning[] {
  const out: SpecWarning[] = [];
  (env.keyVault?.certificates ?? []).forEach((c, i) => {
    if (c.issuer === 'imported') {
      out.push({
        path: `keyVault.certificates[${i}]`,
        message: `'${c.name}' is imported: Key Vault cannot renew it; ${env.keyVault!.contacts.join(', ')} will be e-mailed ${c.renewBeforeDays} days before it expires, and someone must import the next one`,
      });
    }
  });
  return out;
}
