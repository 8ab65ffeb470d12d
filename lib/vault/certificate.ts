/**
 * KeyVaultCertificate: a certificate in a vault with its policy. Self-signed and integrated-CA
 * certificates renew themselves before expiry (AutoRenew); an imported one cannot be renewed by
 * Key Vault, so its lifetime action e-mails the vault's contacts instead. An imported file is read
 * by Terraform at plan time (`filebase64`) from a path outside the repository: its bytes are never
 * in the synthesized output, never in a cdktf asset, never in the repository.
 */
import { KeyVaultCertificate as AzureCertificate } from '@cdktf/provider-azurerm/lib/key-vault-certificate';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';

/** Props of {@link KeyVaultCertificate}. */
export interface KeyVaultCertificateProps {
  /** The vault's resource ID (`KeyVault.keyVaultId`). */
  readonly keyVaultId: string;
  /** The certificate's name in the vault. */
  readonly name: string;
  /** 'self', 'imported', or an integrated CA issuer's name configured in the vault. */
  readonly issuer: string;
  /** For 'imported': absolute path of the file, read by Terraform at plan time. @default - none */
  readonly importPath?: string;
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
  /** Days before expiry that Key Vault renews it, or e-mails the contacts for 'imported'. @default 30 */
  readonly renewBeforeDays?: number;
  /** What must be in effect first: the waits for the deployer's grants (`KeyVault.dataPlaneReady`). @default - none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** Whether Key Vault renews certificates from this issuer itself. */
export const keyVaultRenews = (issuer: string) => issuer !== 'imported';

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
    const imported = props.issuer === 'imported';
    const rsa = (props.keyType ?? 'RSA') === 'RSA';
    const cert = new AzureCertificate(this, 'certificate', {
      name: props.name,
      keyVaultId: props.keyVaultId,
      certificate: imported ? { contents: `\${filebase64(${JSON.stringify(props.importPath)})}` } : undefined,
      certificatePolicy: {
        issuerParameters: { name: imported ? 'Unknown' : props.issuer === 'self' ? 'Self' : props.issuer },
        keyProperties: {
          keyType: rsa ? 'RSA' : 'EC',
          keySize: rsa ? (props.keySize ?? 2048) : undefined,
          curve: rsa ? undefined : 'P-256',
          exportable: true,
          reuseKey: false,
        },
        secretProperties: { contentType: 'application/x-pkcs12' },
        lifetimeAction: [
          { action: { actionType: keyVaultRenews(props.issuer) ? 'AutoRenew' : 'EmailContacts' }, trigger: { daysBeforeExpiry: props.renewBeforeDays ?? 30 } },
        ],
        x509CertificateProperties: imported
          ? undefined
          : {
              subject: props.subject,
              validityInMonths: props.validityMonths ?? 12,
              keyUsage: ['digitalSignature', 'keyEncipherment'],
              extendedKeyUsage: ['1.3.6.1.5.5.7.3.1'], // server authentication
              subjectAlternativeNames: props.dnsNames && props.dnsNames.length > 0 ? { dnsNames: [...props.dnsNames] } : undefined,
            },
      },
      dependsOn: props.dependsOn ? [...props.dependsOn] : undefined,
    });
    this.certificateId = cert.id;
    this.versionlessSecretId = cert.versionlessSecretId;
  }
}
