/**
 * KeyVaultCertificate: a certificate in a vault with its policy. Self-signed and integrated-CA
 * certificates renew themselves before expiry (AutoRenew); an imported one cannot be renewed by
 * Key Vault, so its lifetime action e-mails the vault's contacts instead. An imported file is read
 * by Terraform at plan time from a path outside the repository: its bytes are never in the
 * synthesized output, never in a cdktf asset, never in the repository. A PKCS#12 file is sent
 * base64-encoded (`filebase64`, content type `application/x-pkcs12`); a PEM file is already text
 * and is sent as it is (`file`, `application/x-pem-file`), as azurerm's `certificate.contents`
 * expects. A PKCS#12 password comes from a sensitive Terraform variable (`TF_VAR_<name>` at plan
 * time), never from the spec or the synthesized output; azurerm keeps it in the state.
 */
import { DataAzurermKeyVaultCertificate, KeyVaultCertificate as AzureCertificate } from '../runtime/azurerm';
import { type ITerraformDependable, TerraformStack, TerraformVariable } from '../runtime/cdk';
import { terraformExpression, terraformStringLiteral } from '../core/terraform-data';
import { Construct } from 'constructs';
import { certificateFileFormat, CERTIFICATE_CONTENT_TYPES, EKU_OIDS, type KeyUsageName } from '../spec/certificates';

/** Props of {@link KeyVaultCertificate}. */
export interface KeyVaultCertificateProps {
  /** The vault's resource ID (`KeyVault.keyVaultId`). */
  readonly keyVaultId: string;
  /** The certificate's name in the vault. */
  readonly name: string;
  /**
   * 'self', 'imported', 'external', or an integrated CA issuer's name configured in the vault.
   * 'external': imported outside Terraform (`az keyvault certificate import`); Terraform only reads
   * it (a data source: the plan fails while it is missing), so its private key never enters the
   * state (docs/state.md).
   */
  readonly issuer: string;
  /** For 'imported': absolute path of the file (.pfx, .p12 or .pem), read by Terraform at plan time. @default - none */
  readonly importPath?: string;
  /**
   * For an imported PKCS#12 file with a password: the name of the sensitive Terraform variable
   * that holds it (set as `TF_VAR_<name>` when Terraform runs). Declared once per stack; the
   * provider stores the password in the state. @default - no password
   */
  readonly importPasswordVariable?: string;
  /** Extended key usages of an issued certificate (ignored for 'imported'). @default ['serverAuth'] */
  readonly extendedKeyUsage?: readonly KeyUsageName[];
  /** The subject, e.g. 'CN=front.retail.internal' (ignored for 'imported'). */
  readonly subject: string;
  /** @default - none */
  readonly dnsNames?: readonly string[];
  /** @default 'RSA' */
  readonly keyType?: 'RSA' | 'EC';
  /** RSA only. @default 2048 */
  readonly keySize?: number;
  /** Months a new version is valid (ignored for 'imported'). @default 12 */
  readonly validityMonths?: number;
  /**
   * The format of the secret Key Vault keeps for an issued certificate ('self' or a CA): 'pem'
   * (`application/x-pem-file`, the PKCS#8 key and the chain as text, what nginx reads) or
   * 'pkcs12'. An imported certificate keeps its file's format. In azurerm 4.55 a change of it is
   * an in-place update that issues a new version (never a replacement). @default 'pkcs12'
   */
  readonly secretFormat?: 'pkcs12' | 'pem';
  /** Days before expiry that Key Vault renews it, or e-mails the contacts for 'imported'. @default 30 */
  readonly renewBeforeDays?: number;
  /** What must be in effect first: the waits for the deployer's grants (`KeyVault.dataPlaneReady`). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Whether Key Vault renews certificates from this issuer itself. */
export const keyVaultRenews = (issuer: string) => issuer !== 'imported' && issuer !== 'external';

/** Certificates whose file (not the spec's policy) decides subject, usages and validity. */
export const fromFile = (issuer: string) => issuer === 'imported' || issuer === 'external';

/**
 * A certificate in a vault with its policy: self-signed and integrated-CA certificates renew
 * themselves before expiry; an imported one e-mails the vault's contacts instead.
 */
export class KeyVaultCertificate extends Construct {
  /** The certificate's versioned ID (a Terraform reference). */
  public readonly certificateId: string;
  /** The versionless secret URI: consumers polling it receive renewals by themselves. */
  public readonly versionlessSecretId: string;

  constructor(scope: Construct, id: string, props: KeyVaultCertificateProps) {
    super(scope, id);
    if (props.issuer === 'external') {
      if (props.importPath !== undefined) throw new Error(`KeyVaultCertificate ${props.name}: an external certificate is imported outside Terraform; it takes no importPath`);
      // read only: what is in state is the public certificate, its thumbprint, expiry and IDs
      const existing = new DataAzurermKeyVaultCertificate(this, 'certificate', { name: props.name, keyVaultId: props.keyVaultId, dependsOn: props.dependsOn ? [...props.dependsOn] : undefined });
      this.certificateId = existing.id;
      this.versionlessSecretId = existing.versionlessSecretId;
      return;
    }
    const imported = props.issuer === 'imported';
    const rsa = (props.keyType ?? 'RSA') === 'RSA';
    const format = imported ? importFormat(props.importPath) : (props.secretFormat ?? 'pkcs12');
    if (imported && props.importPasswordVariable !== undefined && format === 'pem') {
      throw new Error(`KeyVaultCertificate ${props.name}: a PEM file takes no password (importPasswordVariable)`);
    }
    const password = imported && props.importPasswordVariable !== undefined ? passwordVariable(this, props.importPasswordVariable, props.name) : undefined;
    const cert = new AzureCertificate(this, 'certificate', {
      name: props.name,
      keyVaultId: props.keyVaultId,
      certificate: imported
        ? {
            // an expression the library builds: a token, so the data aspect leaves it one; the path inside is escaped
            contents: terraformExpression(`${format === 'pem' ? 'file' : 'filebase64'}(${terraformStringLiteral(props.importPath ?? '')})`),
            ...(password ? { password: password.stringValue } : {}),
          }
        : undefined,
      certificatePolicy: {
        issuerParameters: { name: imported ? 'Unknown' : props.issuer === 'self' ? 'Self' : props.issuer },
        keyProperties: {
          keyType: rsa ? 'RSA' : 'EC',
          keySize: rsa ? (props.keySize ?? 2048) : undefined,
          curve: rsa ? undefined : 'P-256',
          exportable: true,
          reuseKey: false,
        },
        secretProperties: { contentType: CERTIFICATE_CONTENT_TYPES[format] },
        lifetimeAction: [
          { action: { actionType: keyVaultRenews(props.issuer) ? 'AutoRenew' : 'EmailContacts' }, trigger: { daysBeforeExpiry: props.renewBeforeDays ?? 30 } },
        ],
        x509CertificateProperties: imported
          ? undefined
          : {
              subject: props.subject,
              validityInMonths: props.validityMonths ?? 12,
              // RFC 8813 s3: an EC key's keyUsage MUST NOT contain keyEncipherment (ECDHE TLS needs digitalSignature only)
              keyUsage: rsa ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'],
              extendedKeyUsage: [...new Set<KeyUsageName>(props.extendedKeyUsage ?? ['serverAuth'])].map((u) => EKU_OIDS[u]),
              subjectAlternativeNames: props.dnsNames && props.dnsNames.length > 0 ? { dnsNames: [...props.dnsNames] } : undefined,
            },
      },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
    this.certificateId = cert.id;
    this.versionlessSecretId = cert.versionlessSecretId;
  }
}

/** An imported file's format from its extension; a construct given another name is a programming error. */
function importFormat(path: string | undefined): 'pkcs12' | 'pem' {
  const format = path === undefined ? undefined : certificateFileFormat(path);
  if (!format) throw new Error(`KeyVaultCertificate: importPath ${JSON.stringify(path)} must end in .pfx, .p12 or .pem (the content type Key Vault needs)`);
  return format;
}

/** The stack's sensitive variable `name` (one per stack, shared by certificates that name it). */
function passwordVariable(scope: Construct, name: string, certificate: string): TerraformVariable {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`KeyVaultCertificate ${certificate}: ${JSON.stringify(name)} is not a Terraform variable name`);
  const stack = TerraformStack.of(scope);
  const existing = stack.node.tryFindChild(name);
  if (existing instanceof TerraformVariable) return existing;
  return new TerraformVariable(stack, name, {
    type: 'string',
    sensitive: true,
    nullable: false,
    description: `Password of the PKCS#12 file imported as Key Vault certificate ${certificate}: set TF_VAR_${name} where Terraform runs. Terraform keeps it in this stack's state.`,
    // unset, Terraform stops with "No value for required variable"; empty, with this message
    validation: [{ condition: terraformExpression(`length(var.${name}) > 0`), errorMessage: `TF_VAR_${name} is empty: set it to the password of the PKCS#12 file imported as Key Vault certificate ${certificate}.` }],
  });
}
