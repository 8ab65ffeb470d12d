/**
 * The VM images the library boots and the packages their custom data installs, each with where
 * its existence in that image's release was checked (pure, no cdktf). Ubuntu's archive cannot be
 * reached from where the library is built and tested, and the tests run Debian 12's packages, so
 * a package missing from an image's release (apt then installs nothing at all, not even the
 * packages that exist) shows only on Azure. This table is the one place that says which packages
 * each image's archive has; a test holds every rendered cloud-init document (services, pools, the
 * front) to it, for the image its scale set uses. docs/vm-image.md has the same table and the
 * reasoning behind the choice of images.
 */

/** A marketplace image's identity as `publisher:offer:sku` (what the table is keyed by). */
export type ImageKey = string;

export interface PackageEvidence {
  /** The binary package's name, as apt takes it. */
  readonly name: string;
  /** The version the release page showed (the archive moves on; this is what was seen). */
  readonly version: string;
  /** The archive component. */
  readonly component: 'main' | 'universe' | 'image';
  /** Where it was seen. */
  readonly source: string;
}

export interface ImageRelease {
  /** The marketplace image. */
  readonly image: { readonly publisher: string; readonly offer: string; readonly sku: string };
  /** The distribution release, e.g. 'Ubuntu 24.04 LTS (noble)'. */
  readonly release: string;
  /** Generation 2 (trusted launch needs it). */
  readonly gen2: true;
  /** Packages the library's custom data may install on it (packages: lists, apt-get lines). */
  readonly packages: readonly PackageEvidence[];
  /** Packages known NOT to be in this release's archive (the reason an image is not used for a role). */
  readonly missing?: readonly { readonly name: string; readonly source: string }[];
}

const NOBLE_PAGE = (p: string) => `packages.ubuntu.com/noble/${p}`;

export const UBUNTU_2404: ImageRelease = {
  image: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' },
  release: 'Ubuntu 24.04 LTS (noble)',
  gen2: true,
  packages: [
    { name: 'nginx', version: '1.24.0-2ubuntu7 (noble), 1.24.0-2ubuntu7.18 (noble-security)', component: 'main', source: NOBLE_PAGE('web/nginx') },
    {
      name: 'libnginx-mod-http-lua',
      version: '1:0.10.26 (the version lua-resty-core in noble depends on)',
      component: 'universe',
      source: `${NOBLE_PAGE('all/libnginx-mod-http-lua/filelist')} (ships /usr/lib/nginx/modules/ngx_http_lua_module.so); github.com/u-sb/nginx-source issue 11`,
    },
    { name: 'lua-cjson', version: '2.1.0+dfsg-2.2', component: 'universe', source: NOBLE_PAGE('lua-cjson') },
    { name: 'curl', version: '8.5.0-2ubuntu10 (noble), 8.5.0-2ubuntu10.11+ (noble-security)', component: 'main', source: NOBLE_PAGE('curl') },
  ],
};

export const UBUNTU_2204: ImageRelease = {
  image: { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2' },
  release: 'Ubuntu 22.04 LTS (jammy)',
  gen2: true,
  // the service VMs install no packages: their scripts use what the cloud image has (sh, curl;
  // python3, which cloud-init itself runs on). These are listed so the table tells exactly what
  // jammy lacks for the front (only the Lua module); no default scale set installs them on jammy.
  packages: [
    { name: 'nginx', version: 'listed for jammy and jammy-updates', component: 'main', source: 'packages.ubuntu.com/noble/web/nginx (release links: jammy, jammy-updates)' },
    { name: 'lua-cjson', version: 'listed for jammy', component: 'universe', source: 'packages.ubuntu.com/noble/lua-cjson (release links: jammy)' },
    { name: 'curl', version: 'listed for jammy and jammy-updates', component: 'main', source: 'packages.ubuntu.com/noble/curl (release links: jammy, jammy-updates)' },
  ],
  missing: [
    {
      name: 'libnginx-mod-http-lua',
      source:
        'Launchpad bug 2035387 (the sync blocklist dropped it in 2022, LP 1986853; re-enabled for 24.04); openresty/lua-nginx-module issue 1714 (Ubuntu removed the package instead of fixing it)',
    },
  ],
};

/** Every image the library boots by default. */
export const IMAGE_RELEASES: readonly ImageRelease[] = [UBUNTU_2204, UBUNTU_2404];

export const imageKeyOf = (m: { readonly publisher: string; readonly offer: string; readonly sku: string }): ImageKey => `${m.publisher}:${m.offer}:${m.sku}`;

/** The release of a marketplace image, when the table knows it. */
export function releaseOf(m: { readonly publisher: string; readonly offer: string; readonly sku: string } | undefined): ImageRelease | undefined {
  if (!m) return undefined;
  const key = imageKeyOf(m).toLowerCase();
  return IMAGE_RELEASES.find((r) => imageKeyOf(r.image).toLowerCase() === key);
}

/**
 * Every package a cloud-init document installs: its `packages:` list and the names on any
 * `apt-get install` / `apt install` line in `runcmd` or `bootcmd` (options and `name=version`
 * pins reduced to the name).
 */
export function packagesInstalledBy(doc: unknown): string[] {
  const d = (doc ?? {}) as { packages?: unknown; runcmd?: unknown; bootcmd?: unknown };
  const out = new Set<string>();
  for (const p of Array.isArray(d.packages) ? d.packages : []) {
    const name = Array.isArray(p) ? p[0] : p;
    if (typeof name === 'string') out.add(name.split('=')[0]);
  }
  const commands = [...(Array.isArray(d.runcmd) ? d.runcmd : []), ...(Array.isArray(d.bootcmd) ? d.bootcmd : [])];
  for (const c of commands) {
    const text = Array.isArray(c) ? c.join(' ') : String(c);
    for (const m of text.matchAll(/\bapt(?:-get)?\s+(?:[^;&|]*?\s)?install\s+([^;&|]*)/g)) {
      for (const w of m[1].trim().split(/\s+/)) if (w && !w.startsWith('-')) out.add(w.split('=')[0]);
    }
  }
  return [...out].sort();
}

/** The packages a document installs that the image's release is not known to have. */
export function packagesMissingFrom(release: ImageRelease | undefined, doc: unknown): string[] {
  const have = new Set((release?.packages ?? []).map((p) => p.name));
  return packagesInstalledBy(doc).filter((p) => !have.has(p));
}
