/**
 * Rules of the compute concern: what the VMs are and run. Pools and the services on them, images
 * (exactly one source, generation 2 where trusted launch needs it), each slot's release (an
 * artifact in the artifact store, or an image), VM sizes Azure has, custom data within Azure's
 * limit, and retirement in the order that orphans nothing.
 */
import { CERTS_SCRIPT, DRAIN_SCRIPT_PACKED, FETCH_SCRIPT, HEALTH_SCRIPT, RELEASE_AGENT_SCRIPT, renderCloudInit, RETRY_SCRIPT, SECRETS_SCRIPT } from '../../compute/cloud-init';
import { vmSizeInfo } from '../capacity';
import { show, suggest, type Path } from '../issues';
import { checkRetirement } from '../lifecycle';
import { portsOf } from '../port-plan';
import { POOL_OWNED_FIELDS, ServiceSchema, SLOT_NAMES } from '../schema';
import { suggestVmSizes } from '../vm-sizes';
import { collect, isRecord, lenient, rawItem, under, type Add, type Findings, type ServiceParts, type SpecView } from './view';

/** Azure's limit on a scale set's custom data, base64-encoded. */
export const CUSTOM_DATA_MAX_BYTES = 65535;

/** More than the scripts, units, ports and names of any document take, settings and URLs aside. */
const CLOUD_INIT_FIXED_BYTES = FETCH_SCRIPT.length + HEALTH_SCRIPT.length + RETRY_SCRIPT.length + SECRETS_SCRIPT.length + CERTS_SCRIPT.length + RELEASE_AGENT_SCRIPT.length + DRAIN_SCRIPT_PACKED.length + 8192;

/**
 * Whether a marketplace image is known to be generation 1, which trusted launch (secure boot and
 * vTPM, set on Uniform scale sets) cannot boot: a SKU ending in 'gen1' (Canonical's 24.04
 * 'server-gen1'), and the Canonical Ubuntu and Debian offers whose generation-2 SKUs carry a
 * '-gen2' suffix (arm64 SKUs are generation 2 only). Other images cannot be told by name.
 */
export function isGen1Image(img: { publisher: string; offer: string; sku: string }): boolean {
  const sku = img.sku.toLowerCase();
  if (/(^|[-_])gen1$/.test(sku)) return true;
  const suffixed =
    (img.publisher.toLowerCase() === 'canonical' && /^(ubuntuserver|0001-com-ubuntu-(server|minimal|pro)-[a-z]+)$/i.test(img.offer)) ||
    (img.publisher.toLowerCase() === 'debian' && /^debian-\d+$/i.test(img.offer));
  return suffixed && !/-(gen2|arm64)$/.test(sku);
}

/**
 * Pools and the services on them: a pool runs at least one service, a service names a declared
 * pool and leaves the pool's fields to it, and a service without a pool has its own vmSize and capacity.
 */
export function validatePools(view: SpecView): Findings {
  return collect((add) => {
    for (const { index, p } of view.pools) {
      if (p.name !== undefined && !p.retired && !view.services.some(({ s }) => s.pool === p.name)) {
        add(['pools', index, 'name'], { code: 'missing', message: `no service runs on pool ${show(p.name)}`, hint: "remove the pool, or give a service pool: '" + p.name + "'" });
      }
    }
    for (const { index, s } of view.services) {
      const at = under('services', index);
      const rawService = rawItem(view, 'services', index);
      if (s.pool !== undefined) {
        if (!view.poolByName.has(s.pool)) {
          add(at('pool'), { code: 'invalid_value', message: `names no declared pool: ${show(s.pool)}`, value: s.pool, hint: suggest(s.pool, [...view.poolByName.keys()]) ?? 'declare it under pools' });
        }
        for (const field of POOL_OWNED_FIELDS) {
          if (rawService && rawService[field] !== undefined) add(at(field), { code: 'invalid_value', message: `comes from pool ${show(s.pool)}; a service on a pool cannot set it`, hint: `set it on the pool, or remove pool` });
        }
        for (const slot of SLOT_NAMES) {
          if (s.slots?.[slot].image) add(at('slots', slot, 'image'), { code: 'invalid_value', message: `a service on a pool shares the pool's image`, hint: 'use an artifact, or give the pool the image' });
          if (s.slots?.[slot].osPatch !== undefined) {
            const poolIndex = view.pools.find(({ p }) => p.name === s.pool)?.index;
            add(at('slots', slot, 'osPatch'), { code: 'invalid_value', message: `a service on a pool runs on the pool's VMs, whose OS the pool patches`, hint: poolIndex !== undefined ? `set pools[${poolIndex}].osPatch.${slot}` : 'set it on the pool' });
          }
        }
      } else if (rawService) {
        for (const field of ['vmSize', 'capacity'] as const) {
          if (rawService[field] === undefined) add(at(field), { code: 'required', message: `required field is missing (without a pool, a service needs its own ${field})` });
        }
      }
    }
  });
}

/** Images: one source each, generation 2 on Uniform scale sets; every slot has a release (an artifact, or an image that holds it). */
export function validateImages(view: SpecView): Findings {
  return collect((add, warn) => {
    for (const { index, p } of view.pools) {
      if (p.image) checkImage(add, ['pools', index, 'image'], p.image);
      if (p.image) checkDrainFence(warn, ['pools', index, 'image'], p.image);
      if (p.image) checkTrustedLaunchImage(add, ['pools', index, 'image'], p.image, p.orchestration);
      if (p.image) checkLatestResolvable(add, ['pools', index, 'image'], p.image);
      for (const slot of SLOT_NAMES) if (p.osPatch?.[slot] !== undefined) checkOsPatch(add, ['pools', index, 'osPatch', slot], p.image, ['pools', index, 'image']);
    }
    for (const { index, s } of view.services) {
      const at = under('services', index);
      const rawSvc = rawItem(view, 'services', index);
      const rawSlots = rawSvc && isRecord(rawSvc.slots) ? rawSvc.slots : undefined;
      if (s.image) checkImage(add, at('image'), s.image);
      if (s.image) checkDrainFence(warn, at('image'), s.image);
      if (s.image) checkTrustedLaunchImage(add, at('image'), s.image, s.orchestration);
      if (s.image) checkLatestResolvable(add, at('image'), s.image);
      for (const slot of SLOT_NAMES) {
        const slotSpec = rawSlots?.[slot];
        if (!isRecord(slotSpec)) continue;
        const parsed = lenient(ServiceSchema.shape.slots.shape[slot], slotSpec);
        if (parsed.image) checkImage(add, at('slots', slot, 'image'), parsed.image);
        if (parsed.image) checkDrainFence(warn, at('slots', slot, 'image'), parsed.image);
        if (parsed.image) checkTrustedLaunchImage(add, at('slots', slot, 'image'), parsed.image, s.orchestration);
        if (parsed.image) checkLatestResolvable(add, at('slots', slot, 'image'), parsed.image);
        if (parsed.osPatch !== undefined && s.pool === undefined) {
          checkOsPatch(add, at('slots', slot, 'osPatch'), parsed.image ?? s.image, parsed.image ? at('slots', slot, 'image') : at('image'));
        }
        if (slotSpec.artifact === undefined && slotSpec.image === undefined && rawSvc?.image === undefined) {
          add(at('slots', slot), {
            code: 'missing',
            message: `runs ${typeof slotSpec.version === 'string' ? `version ${show(slotSpec.version)}` : 'a version'} but names no artifact, and no image holds it`,
            hint: "add artifact: { url: 'https://…/release.tar.gz', sha256: '…' }, or an image with /opt/<service>/bin/start baked in",
          });
        }
      }
    }
  });
}

/** Artifacts come from the declared store, which the slots' identities may read. */
export function validateArtifacts(view: SpecView): Findings {
  return collect((add) => {
    const store = view.env.artifactStore?.storageAccountId.split('/').pop()?.toLowerCase();
    for (const { index, s } of view.services) {
      for (const slot of SLOT_NAMES) {
        const artifact = s.slots?.[slot].artifact;
        if (!artifact) continue;
        const host = /^https:\/\/([a-z0-9]+)\.blob\.core\.windows\.net\//.exec(artifact.url)?.[1];
        const path = ['services', index, 'slots', slot, 'artifact', 'url'];
        if (!host) add(path, { code: 'invalid_value', message: `${show(artifact.url)} is not in Azure Blob Storage`, value: artifact.url, hint: 'the VM fetches releases with its managed identity: https://ACCOUNT.blob.core.windows.net/…' });
        else if (!store) add(path, { code: 'missing', message: `needs artifactStore, the storage account the VMs may read (${host})`, hint: `declare artifactStore: { storageAccountId: '/subscriptions/…/storageAccounts/${host}' }` });
        else if (host !== store) add(path, { code: 'invalid_value', message: `is in storage account '${host}', not the artifactStore '${store}'`, value: artifact.url, hint: 'the slots can read only the artifact store' });
      }
    }
  });
}

/** VM sizes: only sizes Azure has (the table in vm-sizes.ts), so quotas and capacity are real. */
export function validateVmSizes(view: SpecView): Findings {
  return collect((add) => {
    const checkSize = (path: Path, size: string | undefined) => {
      if (size === undefined || vmSizeInfo(size)) return;
      add(path, {
        code: 'invalid_value',
        message: `${show(size)} is not an Azure VM size this library knows`,
        value: size,
        hint: ((near) => (near.length === 0 ? 'use a size such as Standard_D4s_v5 (the known sizes are listed in lib/spec/vm-sizes.ts)' : `did you mean ${near.map((n) => `'${n}'`).join(' or ')}?`))(suggestVmSizes(size)),
      });
    };
    for (const { index, s } of view.services) checkSize(['services', index, 'vmSize'], s.vmSize);
    for (const { index, p } of view.pools) checkSize(['pools', index, 'vmSize'], p.vmSize);
    checkSize(['front', 'vmSize'], view.front.vmSize);
  });
}

/** Retiring in two steps: a pool and the services on it go together (lib/spec/lifecycle.ts). */
export function validateRetirement(view: SpecView): Findings {
  return collect((add) => {
    for (const r of checkRetirement(view.pools, view.services)) add(r.path, r.issue);
  });
}

/** Custom data: Azure refuses more than 64 KB (base64), and says so only at apply. */
export function validateCustomDataSize(view: SpecView): Findings {
  return collect((add) => {
    for (const { index, s } of view.services) checkCustomData(add, under('services', index), s);
  });
}

function checkCustomData(add: Add, at: (...rest: PropertyKey[]) => Path, s: ServiceParts) {
  if (s.name !== undefined && s.slots && s.block !== undefined && s.instancesPerVm !== undefined && s.healthPath !== undefined && s.settings) {
    // an upper bound first: render (slow) only when the document could come near the limit
    // a secret reference is a name in secrets.list plus its unit: counted by its JSON length, doubled
    const settingsBytes = Object.entries(s.settings).reduce((n, [k, v]) => n + 2 * (k.length + (typeof v === 'string' ? v.length : 2 * JSON.stringify(v).length)) + 8, 0);
    // each certificate: its path unit line, its publisher arguments and its extension URL (generous)
    const certBytes = (s.certificates ?? []).reduce((n, c) => n + 4 * (c.length + 120), 0);
    const urls = SLOT_NAMES.reduce((n, slot) => Math.max(n, s.slots![slot].artifact?.url.length ?? 0), 0);
    const bound = (CLOUD_INIT_FIXED_BYTES + 4 * urls + 2 * s.healthPath.length + settingsBytes + certBytes) * (4 / 3);
    const plain = Object.fromEntries(Object.entries(s.settings).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const secrets = Object.fromEntries(Object.entries(s.settings).flatMap(([k, v]) => (typeof v === 'string' ? [] : [[k, v.secret]])));
    for (const slot of bound <= CUSTOM_DATA_MAX_BYTES ? [] : SLOT_NAMES) {
      const text = renderCloudInit({
        slot,
        services: [
          {
            service: s.name,
            version: s.slots[slot].version,
            ports: portsOf({ block: s.block, port: s.port, instancesPerVm: s.instancesPerVm }).ports,
            healthPath: s.healthPath,
            settings: plain,
            ...(Object.keys(secrets).length > 0 || (s.certificates ?? []).length > 0 ? { vaultName: 'kv-'.padEnd(24, 'x') } : {}),
            ...(Object.keys(secrets).length > 0 ? { secrets } : {}),
            ...((s.certificates ?? []).length > 0 ? { certificates: s.certificates } : {}),
            artifact: s.slots[slot].artifact,
          },
        ],
        identityResourceId: `/subscriptions/${'0'.repeat(36)}/resourceGroups/${'r'.repeat(90)}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${'i'.repeat(128)}`,
      });
      const size = Math.ceil(Buffer.byteLength(text, 'utf8') / 3) * 4;
      if (size > CUSTOM_DATA_MAX_BYTES) {
        add(at('settings'), {
          code: 'too_big',
          message: `make the ${slot} slot's custom data ${size} bytes (base64); Azure allows ${CUSTOM_DATA_MAX_BYTES}`,
          hint: 'move large values to Key Vault secrets or the release artifact',
        });
        break;
      }
    }
  }
}

/**
 * Uniform scale sets run with trusted launch (secure boot, vTPM: `securityType TrustedLaunch`),
 * which needs a generation-2 image; Azure refuses a Gen1 one at apply. Flexible ones are created
 * without it here, so any generation boots.
 */
function checkTrustedLaunchImage(add: Add, path: Path, img: { marketplace?: { publisher: string; offer: string; sku: string } }, orchestration: 'Uniform' | 'Flexible' | undefined) {
  const m = img.marketplace;
  if (!m || (orchestration ?? 'Uniform') !== 'Uniform' || !isGen1Image(m)) return;
  add([...path, 'marketplace', 'sku'], {
    code: 'invalid_value',
    message: `${show(m.sku)} is a generation-1 image, and Uniform scale sets run with trusted launch (secure boot and vTPM), which Azure allows only on generation-2 images: the apply would fail`,
    value: m.sku,
    hint: /gen1$/i.test(m.sku) ? `use the offer's generation-2 SKU ${show(m.sku.replace(/[-_]?gen1$/i, ''))}` : `use the generation-2 SKU ${show(`${m.sku}-gen2`)}`,
  });
}

type SpecImage = { marketplace?: { publisher?: string; offer?: string; sku?: string; version?: string }; galleryImageVersionId?: string };

/** A marketplace image at 'latest' (the default image is one): the synth pins it per slot, and `osPatch` re-resolves it. */
const resolvedAtCreation = (img: SpecImage | undefined) => img === undefined || (img.marketplace !== undefined && img.galleryImageVersionId === undefined && (img.marketplace.version ?? 'latest') === 'latest');

/**
 * 'latest' is resolved when a slot's scale set is created, by `azurerm_platform_image`, which
 * takes the last version Azure lists (azurerm v4.55.0 platform_image_data_source.go). Canonical's
 * versions (`22.04.YYYYMMDDN`) list in release order; other publishers' need not (provider issue
 * #31577, a Windows Server SKU; Azure REST API specs issue #30142, RHEL's 8.9 listed after 8.10).
 */
function checkLatestResolvable(add: Add, path: Path, img: SpecImage) {
  const m = img.marketplace;
  if (!m || !resolvedAtCreation(img) || m.publisher === undefined || m.publisher.toLowerCase() === 'canonical') return;
  add([...path, 'marketplace', 'version'], {
    code: 'invalid_value',
    message: `'latest' is resolved to one version when a slot's scale set is created (so a scale-out boots what its siblings run), through azurerm_platform_image, which takes the last version Azure lists; only Canonical's versions are known to list in release order, and those of ${show(m.publisher)} may not (azurerm issue #31577)`,
    hint: `pin the version (az vm image list --publisher ${m.publisher} --all shows them); bump it on the idle slot to patch (docs/patching.md)`,
  });
}

/** `osPatch` re-resolves a marketplace image at 'latest'; a pinned version or a gallery image version is bumped by changing it. */
function checkOsPatch(add: Add, path: Path, img: SpecImage | undefined, imagePath: Path) {
  if (resolvedAtCreation(img)) return;
  const what = img?.galleryImageVersionId !== undefined ? 'a gallery image version' : `version ${show(img?.marketplace?.version ?? '')}`;
  add(path, {
    code: 'invalid_value',
    message: `re-resolves a marketplace image at 'latest', and this slot's image is pinned (${what} at ${imagePath.join('.')}): the label would change nothing`,
    hint: `patch by changing the pinned version on the idle slot, or remove the pin (version 'latest') to use osPatch`,
  });
}

/**
 * Whether a marketplace image is one of Canonical's minimal Ubuntu images, which have no
 * `iptables` (Azure's Linux agent skips its firewall tests on them for that reason:
 * docs/vm-side.md, "iptables on the images").
 */
export function isUbuntuMinimalImage(img: { publisher?: string; offer?: string; sku?: string }): boolean {
  if (img.publisher?.toLowerCase() !== 'canonical') return false;
  return /^0001-com-ubuntu-minimal-/i.test(img.offer ?? '') || /(^|-)minimal(-|$)/i.test(img.sku ?? '');
}

/** The drain agent fences the load balancer's probes with the VM's iptables; an image without it drains unfenced. */
function checkDrainFence(warn: Add, path: Path, img: SpecImage) {
  const m = img.marketplace;
  if (!m || !isUbuntuMinimalImage(m)) return;
  warn([...path, 'marketplace'], {
    code: 'invalid_value',
    message: `Canonical's minimal Ubuntu images have no iptables: before Azure deletes one of these VMs (scale-in, repair, an upgrade) its drain cannot fail the load balancer's probes, so new connections keep arriving until the VM is gone`,
    hint: /^0001-com-ubuntu-minimal-/i.test(m.offer ?? '')
      ? `use the server image (offer '${m.offer!.replace(/-minimal-/i, '-server-')}', its '-gen2' SKU), or a gallery image that has iptables`
      : `use the server SKU of ${show(m.offer ?? '')} ('server'), or a gallery image that has iptables`,
  });
}

function checkImage(add: Add, path: Path, img: { marketplace?: unknown; galleryImageVersionId?: string }) {
  const given = [img.marketplace !== undefined, img.galleryImageVersionId !== undefined].filter(Boolean).length;
  if (given !== 1) {
    add(path, {
      code: given === 0 ? 'missing' : 'invalid_value',
      message: given === 0 ? 'names no image' : 'names both a marketplace image and a gallery image version',
      hint: 'give exactly one of marketplace or galleryImageVersionId',
    });
  }
}

