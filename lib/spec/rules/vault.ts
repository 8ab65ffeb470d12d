/**
 * Rules of the vault concern: no secret material in the spec, Key Vault certificates Azure
 * accepts, and every certificate or secret a service names declared in the environment's vault.
 */
import { certificateFileFormat } from '../certificates';
import { show, suggest, type Path } from '../issues';
import { collect, isRecord, rawItem, under, type Add, type Findings, type SpecView } from './view';

/** PEM blocks, or long base64 that starts like DER/PKCS#12 ('MII…'). */
const INLINE_SECRET = /-----BEGIN [A-Z0-9 ]*(PRIVATE KEY|CERTIFICATE)-----|^MII[A-Za-z0-9+/=\s]{200,}$/;

/** Certificates and keys never sit in the spec (it is in the repository): any field holding one is refused. */
export function validateNoInlineSecrets(view: SpecView): Findings {
  return collect((add) => findInlineSecrets(view.raw, [], add));
}

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

/** The certificates as written, when keyVault declares a list of them. */
export function writtenCertificates(view: SpecView): Record<string, unknown>[] | undefined {
  const kv = isRecord(view.raw.keyVault) ? view.raw.keyVault : undefined;
  return kv && Array.isArray(kv.certificates) ? kv.certificates.filter(isRecord) : undefined;
}

/**
 * keyVault.certificates, as written: unique names (case-insensitively, as Key Vault compares
 * them), an import file only for imported certificates (and in a format Key Vault can be told),
 * contacts for what Key Vault cannot renew, renewal inside the validity.
 */
export function validateCertificates(view: SpecView): Findings {
  return collect((add) => {
    const rawKv = isRecord(view.raw.keyVault) ? view.raw.keyVault : undefined;
    if (!rawKv || !Array.isArray(rawKv.certificates)) return;
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
  });
}

/** A service's certificates and Key Vault secrets name what the environment's vault declares. */
export function validateServiceVaultReferences(view: SpecView): Findings {
  return collect((add) => {
    const certs = writtenCertificates(view);
    for (const { index, s } of view.services) {
      const at = under('services', index);
      for (const [i, c] of (s.certificates ?? []).entries()) {
        if (!certs) add(at('certificates', i), { code: 'missing', message: `names the Key Vault certificate ${show(c)}, but the environment has no keyVault`, hint: 'declare keyVault with the certificate' });
        else if (!certs.some((k) => k.name === c)) {
          add(at('certificates', i), { code: 'invalid_value', message: `names no certificate in keyVault.certificates: ${show(c)}`, value: c, hint: suggest(c, certs.map((k) => k.name).filter((n): n is string => typeof n === 'string')) ?? 'declare it under keyVault.certificates' });
        }
      }
      // checked as written, so these show beside a problem elsewhere in settings
      const rawService = rawItem(view, 'services', index);
      const rawSettings = rawService && isRecord(rawService.settings) ? rawService.settings : {};
      for (const [k, v] of Object.entries(rawSettings)) {
        if (isRecord(v) && typeof v.secret === 'string' && !isRecord(view.raw.keyVault)) {
          add(at('settings', k), { code: 'missing', message: `is the Key Vault secret ${show(v.secret)}, but the environment has no keyVault`, hint: 'declare keyVault, or give a plain value' });
        }
      }
    }
  });
}
