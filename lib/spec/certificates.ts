/**
 * Decisions about Key Vault certificates (pure): an imported file's format, and the extended key
 * usages of a certificate the vault issues.
 */

/** Key Vault's content types (azurerm `secret_properties.content_type`). */
export const CERTIFICATE_CONTENT_TYPES = { pkcs12: 'application/x-pkcs12', pem: 'application/x-pem-file' } as const;
export type CertificateFileFormat = keyof typeof CERTIFICATE_CONTENT_TYPES;

/** The format of an imported file, by its extension: .pfx/.p12 → PKCS#12, .pem → PEM; else undefined. */
export function certificateFileFormat(path: string): CertificateFileFormat | undefined {
  const ext = /\.([A-Za-z0-9]+)$/.exec(path)?.[1]?.toLowerCase();
  if (ext === 'pfx' || ext === 'p12') return 'pkcs12';
  if (ext === 'pem') return 'pem';
  return undefined;
}

/** Extended key usage OIDs (RFC 5280 §4.2.1.12). */
export const EKU_OIDS = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;
export type KeyUsageName = keyof typeof EKU_OIDS;

/**
 * The extended key usages of a certificate the vault issues: as declared, else server and client
 * authentication for a name ending in '-mtls' (each side of mutual TLS presents it), else server
 * authentication only.
 */
export function certificateKeyUsages(c: { readonly name: string; readonly extendedKeyUsage?: readonly KeyUsageName[] }): KeyUsageName[] {
  if (c.extendedKeyUsage && c.extendedKeyUsage.length > 0) return [...new Set(c.extendedKeyUsage)];
  return /-mtls$/i.test(c.name) ? ['serverAuth', 'clientAuth'] : ['serverAuth'];
}

/** The Terraform variable a `TF_VAR_<name>` environment variable sets. */
export const terraformVariableOf = (passwordEnv: string): string => passwordEnv.replace(/^TF_VAR_/, '');

/**
 * One warning per imported certificate whose password variable is not set in `environ` (the
 * synth's environment): the synth still writes, and Terraform will stop at plan with "No value for
 * required variable" unless the variable is set where it runs.
 */
export function unsetPasswordWarnings(
  certificates: ReadonlyArray<{ readonly name: string; readonly importFrom?: { readonly passwordEnv?: string } }>,
  environ: Readonly<Record<string, string | undefined>>,
): Array<{ path: string; message: string }> {
  return certificates.flatMap((c, i) => {
    const env = c.importFrom?.passwordEnv;
    if (env === undefined || environ[env] !== undefined) return [];
    return [{ path: `keyVault.certificates[${i}].importFrom.passwordEnv`, message: `${env} is not set here: terraform plan of the vault stack stops with "No value for required variable" unless it is set where Terraform runs (the password of ${c.name}'s PKCS#12 file)` }];
  });
}

/**
 * What is wrong with an imported file's content for its declared format, or undefined. Read at
 * synth when the file is there (CI); never written anywhere. azurerm's key_vault_certificate docs:
 * a PEM import holds the certificate and "a private_key in pkcs8 format", with "only linux style
 * `\n` line endings". A PKCS#12 file is DER (it starts with a SEQUENCE, byte 0x30).
 */
export function certificateContentProblem(format: CertificateFileFormat, content: Buffer): string | undefined {
  const text = content.toString('latin1');
  const pemLike = /^\s*-----BEGIN /.test(text);
  if (format === 'pkcs12') {
    if (pemLike) return 'is named as PKCS#12 but holds PEM text: name it .pem';
    if (content[0] !== 0x30) return 'is not a PKCS#12 (DER) file';
    return undefined;
  }
  if (!pemLike) return content[0] === 0x30 ? 'is named .pem but holds binary DER (PKCS#12?): name it .pfx' : 'is not a PEM file';
  if (text.includes('\r\n')) return "has Windows line endings; Key Vault takes PEM with '\\n' only (dos2unix)";
  if (!text.includes('-----BEGIN CERTIFICATE-----')) return 'holds no certificate (-----BEGIN CERTIFICATE-----)';
  if (text.includes('-----BEGIN ENCRYPTED PRIVATE KEY-----')) return 'holds an encrypted private key; Key Vault imports PEM with an unencrypted PKCS#8 key (or import the .pfx with passwordEnv)';
  if (/-----BEGIN (RSA|EC) PRIVATE KEY-----/.test(text)) return 'holds a PKCS#1/SEC1 private key; Key Vault wants PKCS#8 (openssl pkcs8 -topk8 -nocrypt -in key.pem)';
  if (!text.includes('-----BEGIN PRIVATE KEY-----')) return 'holds no private key (-----BEGIN PRIVATE KEY-----)';
  return undefined;
}
