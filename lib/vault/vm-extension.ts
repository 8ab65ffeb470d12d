/**
 * The Key Vault VM extension for Linux, as a scale-set extension (pure). It supports Ubuntu and
 * Azure Linux images, not Debian. It authenticates with the user-assigned identity's client ID and
 * polls each certificate's versionless secret URL, so a renewed certificate arrives by itself.
 * It writes `<store>/<vault>.<certificate>` (PEM, certificate and key), readable by root only.
 */
import type { ScaleSetExtension } from '../compute/scale-set';

export const KEY_VAULT_STORE = '/var/lib/waagent/Microsoft.Azure.KeyVault.Store';

/** Input of {@link keyVaultExtension}. */
export interface KeyVaultExtensionInput {
  /** The vault's name. */
  readonly vaultName: string;
  /** Names of the certificates to keep on every VM. */
  readonly certificates: readonly string[];
  /** Client ID of the user-assigned identity granted Key Vault Secrets User on each certificate. */
  readonly identityClientId: string;
  /** Seconds between two checks for renewals. @default 3600 */
  readonly pollingIntervalSeconds?: number;
  /** A label; Linux ignores store names. @default 'certificates' */
  readonly storeName?: string;
}

/** The file the extension writes for a certificate (PEM: certificate and key), root's only. */
export const keyVaultCertificatePath = (vaultName: string, certificate: string) => `${KEY_VAULT_STORE}/${vaultName}.${certificate}`;

/** A vault's data-plane URL (public name; inside the VNet it resolves to the private endpoint). */
export const keyVaultUrl = (vaultName: string) => `https://${vaultName}.vault.azure.net`;

export const keyVaultCertificateUrl = (vaultName: string, certificate: string) => `${keyVaultUrl(vaultName)}/secrets/${certificate}`;

/**
 * The Key Vault VM extension for Linux as a scale-set extension (`ScaleSetProps.extensions`): it
 * writes each certificate to `<store>/<vault>.<certificate>`, following renewals.
 */
export function keyVaultExtension(input: KeyVaultExtensionInput): ScaleSetExtension {
  return {
    name: 'key-vault',
    publisher: 'Microsoft.Azure.KeyVault',
    type: 'KeyVaultForLinux',
    typeHandlerVersion: '2.0',
    settings: JSON.stringify({
      secretsManagementSettings: {
        pollingIntervalInS: String(input.pollingIntervalSeconds ?? 3600),
        certificateStoreName: input.storeName ?? 'certificates',
        certificateStoreLocation: KEY_VAULT_STORE,
        requireInitialSync: true,
        // versionless: the extension follows the current version
        observedCertificates: [...input.certificates].sort().map((c) => keyVaultCertificateUrl(input.vaultName, c)),
      },
      authenticationSettings: { msiEndpoint: 'http://169.254.169.254/metadata/identity/oauth2/token', msiClientId: input.identityClientId },
    }),
  };
}
