/**
 * Rules of the front concern: its two listening ports, and the TLS certificate it serves (a
 * Key Vault certificate nginx can read and TLS clients accept as a server's).
 */
import { certificateFileFormat } from '../certificates';
import { FRONT_RESERVED_PORTS } from '../constants';
import { show, suggest } from '../issues';
import { defaultDomain } from '../names';
import { writtenCertificates } from './vault';
import { collect, isRecord, type Findings, type SpecView } from './view';

/** front.ports: http and https differ, and neither is a port the front VM itself uses. */
export function validateFrontPorts(view: SpecView): Findings {
  return collect((add) => {
    const { front } = view;
    if (front.ports && front.ports.http === front.ports.https) {
      add(['front', 'ports', 'https'], { code: 'collision', message: `${front.ports.https} is also front.ports.http`, value: front.ports.https });
    }
    // nginx takes a second server on its status port with a warning only, and the probe then reaches the routing server
    for (const kind of ['http', 'https'] as const) {
      const p = front.ports?.[kind];
      if (p !== undefined && Object.prototype.hasOwnProperty.call(FRONT_RESERVED_PORTS, p)) {
        add(['front', 'ports', kind], { code: 'collision', message: `${p} is reserved for ${FRONT_RESERVED_PORTS[p]}`, value: p, hint: 'choose another port for callers' });
      }
    }
  });
}

/** front.tlsCertificate: a declared Key Vault certificate for server authentication, in PEM. */
export function validateFrontCertificate(view: SpecView): Findings {
  return collect((add) => {
    const { front, parsed } = view;
    const tlsName = front.tlsCertificate;
    if (tlsName !== undefined) {
      const certs = parsed?.keyVault?.certificates ?? writtenCertificates(view);
      if (!certs) add(['front', 'tlsCertificate'], { code: 'missing', message: 'names a Key Vault certificate, but the environment has no keyVault', hint: 'declare keyVault with the certificate, or remove tlsCertificate' });
      else if (certs.some((c) => c.name === tlsName && c.issuer !== 'imported' && c.issuer !== 'external' && Array.isArray(c.extendedKeyUsage) && !c.extendedKeyUsage.includes('serverAuth'))) {
        add(['front', 'tlsCertificate'], {
          code: 'invalid_value',
          message: `names ${show(tlsName)}, whose extendedKeyUsage has no 'serverAuth': TLS clients refuse it as a server certificate`,
          value: tlsName,
          hint: "add 'serverAuth' to its extendedKeyUsage",
        });
      } else if (certs.some((c) => c.name === tlsName && c.issuer === 'imported' && isRecord(c.importFrom) && typeof c.importFrom.path === 'string' && certificateFileFormat(c.importFrom.path) === 'pkcs12')) {
        // the front's agent hands the vault's secret to nginx, which reads PEM; the content type of an
        // imported certificate is its file's, and a policy change on it would ask Key Vault to issue
        const i = certs.findIndex((c) => c.name === tlsName);
        add(['front', 'tlsCertificate'], {
          code: 'invalid_value',
          message: `names ${show(tlsName)}, imported from a PKCS#12 file (keyVault.certificates[${i}].importFrom.path): the front serves the vault's secret to nginx, which reads PEM`,
          value: tlsName,
          hint: 'import it as PEM: a .pem file with the certificate chain and its PKCS#8 private key (openssl pkcs12 -in cert.pfx -nodes -out cert.pem)',
        });
      } else if (!certs.some((c) => c.name === tlsName)) {
        add(['front', 'tlsCertificate'], {
          code: 'invalid_value',
          message: `names no certificate in keyVault.certificates: ${show(tlsName)}`,
          value: tlsName,
          hint: suggest(tlsName, certs.map((c) => c.name).filter((n): n is string => typeof n === 'string')) ?? 'declare it under keyVault.certificates',
        });
      }
    }
  });
}

/**
 * Names Azure keeps for itself: it refuses a private DNS zone of any of these or under them
 * (Azure DNS docs, "Private DNS zone": restrictions; the Gov and China clouds' equivalents are
 * not public regions this library knows).
 */
const RESERVED_ZONES = ['azclient.ms', 'azure.com', 'cloudapp.net', 'core.windows.net', 'microsoft.com', 'msidentity.com', 'trafficmanager.net', 'windows.net'];

/**
 * front.privateDnsZone: the domain is a zone Azure accepts (two to 34 labels, not one of Azure's
 * reserved names), and each host name outside it is a warning: it gets no record.
 */
export function validateFrontDns(view: SpecView): Findings {
  return collect((add, warn) => {
    const { front } = view;
    const env = typeof view.env.name === 'string' ? view.env.name : undefined;
    if (front.privateDnsZone !== true || env === undefined) return;
    const domain = defaultDomain(env, front);
    const at = front.domain !== undefined ? ['front', 'domain'] : ['front', 'privateDnsZone'];
    const labels = domain.split('.').length;
    if (labels < 2 || labels > 34) {
      add(at, { code: 'invalid_value', message: `${show(domain)} has ${labels} label${labels === 1 ? '' : 's'}; a private DNS zone needs 2 to 34`, value: domain, hint: labels < 2 ? `use a name such as '${domain}.internal'` : 'use a shorter domain' });
    }
    const reserved = RESERVED_ZONES.find((r) => domain === r || domain.endsWith(`.${r}`));
    if (reserved) add(at, { code: 'invalid_value', message: `${show(domain)} is ${domain === reserved ? '' : 'under '}${show(reserved)}, a name Azure reserves: it refuses a private DNS zone there`, value: domain, hint: 'use a domain of your own, e.g. the default <env>.internal' });
    for (const { index, s } of view.services) {
      (s.route?.hosts ?? []).forEach((h, i) => {
        if (h !== domain && !h.endsWith(`.${domain}`)) {
          warn(['services', index, 'route', 'hosts', i], { code: 'missing', message: `${show(h)} is outside the front's domain ${show(domain)}: the private DNS zone has no record for it`, hint: 'resolve it to the front by your own DNS, or use a host name in the domain' });
        }
      });
    }
  });
}
