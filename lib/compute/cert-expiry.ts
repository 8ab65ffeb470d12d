/**
 * The VMs report when the certificates they serve with expire (pure). A timer runs
 * `vm/cert-expiry.sh` every 6 hours (and 10 minutes after boot) with each certificate's name and
 * file; it logs one syslog line per certificate, which the Azure Monitor Agent sends to the
 * workspace's `Syslog` table, where the `certificate-expiry` log alert reads them
 * (`lib/monitor/queries.ts`). Reading the file the VM uses, not Key Vault, also catches a renewal
 * that never reached the VM. Service VMs report their Key Vault certificates
 * (`/etc/<service>/certs/<name>.pem`), front VMs their TLS certificate.
 */
import { join } from 'node:path';
import { readVmProgram } from '../core/vm-program';

/** The syslog tag (the `Syslog` table's `ProcessName`) the reporter logs with. */
export const CERT_EXPIRY_TAG = 'ase-cert-expiry';

export const CERT_EXPIRY_SCRIPT = readVmProgram(join(__dirname, 'vm'), 'cert-expiry.sh', [`tag=${CERT_EXPIRY_TAG}\n`, '"$name expires ', ' in $days days"']);

export const CERT_EXPIRY_PATH = '/usr/local/lib/slotenv/cert-expiry';
export const CERT_EXPIRY_UNITS = { service: 'ase-cert-expiry.service', timer: 'ase-cert-expiry.timer' } as const;

/** One certificate a VM serves with: its name in the report, and its file on the VM. */
export interface ReportedCertificate {
  /** Letters, digits, '-', '/' (e.g. 'front-tls', 'pricing/pricing-api'). */
  readonly name: string;
  readonly path: string;
}

export function renderCertExpiryService(certificates: readonly ReportedCertificate[]): string {
  for (const c of certificates) if (!/^[A-Za-z0-9/-]+$/.test(c.name) || !/^\/[A-Za-z0-9/._-]+$/.test(c.path)) throw new Error(`cert-expiry: not a plain name and path: ${c.name} ${c.path}`);
  return [
    '[Unit]',
    "Description=Log when each certificate this VM serves with expires (the certificate-expiry alert)",
    '',
    '[Service]',
    'Type=oneshot',
    `ExecStart=${CERT_EXPIRY_PATH} ${[...certificates].sort((a, b) => a.name.localeCompare(b.name)).map((c) => `${c.name}=${c.path}`).join(' ')}`,
    '',
  ].join('\n');
}

export function renderCertExpiryTimer(): string {
  return ['[Unit]', 'Description=Report certificate expiry every 6 hours', '', '[Timer]', 'OnBootSec=10min', 'OnUnitActiveSec=6h', 'RandomizedDelaySec=10min', '', '[Install]', 'WantedBy=timers.target', ''].join('\n');
}

/** The reporter and its units, as write_files entries (none without certificates). */
export function certExpiryFiles(certificates: readonly ReportedCertificate[]): Array<{ path: string; owner: string; permissions: string; content: string }> {
  if (certificates.length === 0) return [];
  return [
    { path: CERT_EXPIRY_PATH, owner: 'root:root', permissions: '0755', content: CERT_EXPIRY_SCRIPT },
    { path: `/etc/systemd/system/${CERT_EXPIRY_UNITS.service}`, owner: 'root:root', permissions: '0644', content: renderCertExpiryService(certificates) },
    { path: `/etc/systemd/system/${CERT_EXPIRY_UNITS.timer}`, owner: 'root:root', permissions: '0644', content: renderCertExpiryTimer() },
  ];
}
