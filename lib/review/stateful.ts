/**
 * Resources whose destruction loses something Terraform cannot give back: a review blocks a plan
 * that deletes or replaces one unless the reviewer names it with `--allow`.
 */

/** Resource type → what is lost when it is destroyed. */
export const STATEFUL: Readonly<Record<string, string>> = {
  azurerm_key_vault: 'the vault and every secret, key and certificate in it (soft delete keeps them recoverable only until purge, and the name stays taken)',
  azurerm_key_vault_certificate: 'the certificate and its private key; a new one is issued with a new thumbprint',
  azurerm_key_vault_secret: 'the secret value and its versions',
  azurerm_key_vault_key: 'the key: data encrypted with it can no longer be decrypted',
  azurerm_storage_account: 'every blob in the account (Terraform state, release artifacts, the front config)',
  azurerm_storage_container: 'every blob in the container',
  azurerm_resource_group: 'everything in the resource group, including resources Terraform does not manage',
  azurerm_public_ip: 'the egress address partners allow-list; a new one has a different address',
  azurerm_management_lock: "the delete lock that protects a stateful resource",
};

export const isStateful = (type: string): boolean => Object.prototype.hasOwnProperty.call(STATEFUL, type);

/** Why destroying or replacing a resource of `type` blocks a review. */
export const stateLossReason = (action: 'delete' | 'replace', type: string): string => `${action === 'delete' ? 'destroys' : 'replaces'} ${type}: loses ${STATEFUL[type]}`;
