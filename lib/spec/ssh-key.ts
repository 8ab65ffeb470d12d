/**
 * OpenSSH public keys as Azure and azurerm take them (pure, no dependencies).
 *
 * azurerm 4.55 validates every `admin_ssh_key.public_key` with `validate.SSHKey`
 * (internal/services/compute/validate/ssh_key.go): the second field must be base64 that
 * `ssh.ParsePublicKey` reads; an `ssh-rsa` key needs a modulus of 2048 bits or more; an
 * `ssh-ed25519` key is accepted; every other type (ECDSA, security keys) is refused with "Only RSA
 * and ED25519 SSH keys are supported by Azure". This parser applies the same rules, and the wire
 * format's own (RFC 4253 §6.6, RFC 8709): the blob's inner type string equals the prefix, the
 * lengths add up, nothing trails.
 */

/** A key that parsed: its type and size. */
export interface SshKeyInfo {
  readonly type: 'ssh-rsa' | 'ssh-ed25519';
  /** RSA modulus bits (as azurerm counts them: modulus bytes × 8); 256 for ed25519. */
  readonly bits: number;
}

/** Azure's and azurerm's smallest RSA key. */
export const MIN_RSA_BITS = 2048;

/** Key types azurerm accepts (validate.SSHKey). */
export const SSH_KEY_TYPES = ['ssh-rsa', 'ssh-ed25519'] as const;

/** A key, or what is wrong with it (a sentence for the issue message). */
export function parseSshPublicKey(text: string): { ok: true; key: SshKeyInfo } | { ok: false; problem: string } {
  const fields = text.trim().split(/\s+/);
  const [given, blob] = fields;
  if (!(SSH_KEY_TYPES as readonly string[]).includes(given)) {
    return { ok: false, problem: `is a ${JSON.stringify(given)} key; azurerm accepts only ${SSH_KEY_TYPES.join(' and ')} keys` };
  }
  const type = given as SshKeyInfo['type'];
  if (blob === undefined) return { ok: false, problem: 'has no key data after the type' };
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blob) || blob.length % 4 !== 0) return { ok: false, problem: 'has key data that is not base64' };
  const bytes = Buffer.from(blob, 'base64');
  if (bytes.toString('base64') !== blob) return { ok: false, problem: 'has key data that is not canonical base64' };
  let at = 0;
  /** One length-prefixed string of the wire format, or undefined past the end. */
  const next = (): Buffer | undefined => {
    if (at + 4 > bytes.length) return undefined;
    const len = bytes.readUInt32BE(at);
    if (at + 4 + len > bytes.length) return undefined;
    const out = bytes.subarray(at + 4, at + 4 + len);
    at += 4 + len;
    return out;
  };
  const inner = next();
  if (!inner) return { ok: false, problem: 'has key data too short to hold a key (truncated or pasted wrong)' };
  if (inner.toString('latin1') !== type) {
    return { ok: false, problem: `says ${type} but its key data holds a ${JSON.stringify(inner.toString('latin1').slice(0, 40))} key` };
  }
  if (type === 'ssh-ed25519') {
    const point = next();
    if (!point || point.length !== 32) return { ok: false, problem: 'has ed25519 key data without a 32-byte key (truncated or pasted wrong)' };
    if (at !== bytes.length) return { ok: false, problem: 'has bytes after the ed25519 key' };
    return { ok: true, key: { type, bits: 256 } };
  }
  const e = next();
  const n = next();
  if (!e || !n || e.length === 0 || n.length === 0) return { ok: false, problem: 'has RSA key data without an exponent and modulus (truncated or pasted wrong)' };
  if (at !== bytes.length) return { ok: false, problem: 'has bytes after the RSA modulus' };
  if ((e[0] & 0x80) !== 0 || (n[0] & 0x80) !== 0) return { ok: false, problem: 'has a negative RSA exponent or modulus' };
  // mpints carry a leading zero byte when the top bit is set; Go's rsa.PublicKey.Size() counts the rest
  let first = 0;
  while (first < n.length && n[first] === 0) first++;
  const bits = (n.length - first) * 8;
  if (bits < MIN_RSA_BITS) return { ok: false, problem: `is a ${bits}-bit RSA key; Azure needs ${MIN_RSA_BITS} bits or more` };
  return { ok: true, key: { type, bits } };
}
