/**
 * Which image each scale set boots and whether an image can run its VMs (pure, no cdktf): what
 * the synth's lock check needs to record images and to refuse keeping one that cannot boot them.
 */
import { frontCloudInitDocument } from '../front/agent';
import type { Placement } from '../spec/placement';
import { packagesMissingFrom, releaseOf } from './image-packages';
import { DEFAULT_IMAGE, FRONT_IMAGE, imageFromLockKey, imageLockKey, isResolvedAtCreation, type ImageReference } from './scale-set';

type SpecImage = Placement['image'];

const referenceOf = (image: NonNullable<SpecImage>): ImageReference =>
  image.marketplace ? { marketplace: { ...image.marketplace, version: image.marketplace.version ?? 'latest' } } : { galleryImageVersionId: image.galleryImageVersionId };

/** What the front's custom data installs (constant across environments). */
const FRONT_DOC = frontCloudInitDocument({ containerUrl: 'https://x.blob.core.windows.net/front', identityResourceId: '/x', pollSeconds: 5 });

/** The packages a role's custom data installs that the image a lock key names lacks (all of them when the table does not know it). */
export function missingOn(role: 'service' | 'front', key: string): string[] {
  const m = imageFromLockKey(key)?.marketplace;
  return packagesMissingFrom(releaseOf(m), role === 'front' ? FRONT_DOC : { packages: [] });
}

export function imageOfScaleSet(input: { role: 'front' } | { role: 'service'; placement: Placement }) {
  return (slot: 'blue' | 'green' | undefined) => {
    if (input.role === 'front') return { key: imageLockKey(FRONT_IMAGE), fromSpec: false, missingOn: (k: string) => missingOn('front', k) };
    const p = input.placement;
    const own = p.kind === 'service' && slot ? p.services[0].slots[slot].image : undefined;
    const spec = own ?? p.image;
    const reference = spec ? referenceOf(spec) : DEFAULT_IMAGE;
    return {
      key: imageLockKey(reference),
      fromSpec: spec !== undefined,
      missingOn: (k: string) => missingOn('service', k),
      // a marketplace image at 'latest' is resolved to a version per slot (docs/patching.md)
      resolved: isResolvedAtCreation(reference),
      osPatch: slot ? p.osPatch[slot] : undefined,
    };
  };
}
