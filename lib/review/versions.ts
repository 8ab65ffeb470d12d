/**
 * Routine replacements: a content-addressed blob's new version. In azurerm 4.55 every content
 * argument of `azurerm_storage_blob` (`source_content`, `source`, `source_uri`, `content_md5`)
 * and its `name` force a new resource (storage_blob_resource.go), so a blob whose content changes
 * is always replaced. With `create_before_destroy` and a name that changes with the content (the
 * front's `routing/<sha256>.json` and `config/<sha256>.conf`), that replacement creates the new
 * version first and deletes the previous one last: a routine update, not a loss, and the review
 * says so. The same lifecycle with an unchanged name cannot apply: the provider's create checks
 * for an existing blob of that name (`resourceStorageBlobCreate`) and fails, since the old one is
 * still there.
 */
import { code } from './values';

/** What a blob holds, by the folder of its content-addressed name. */
const KINDS: ReadonlyArray<{ readonly prefix: string; readonly what: string }> = [
  { prefix: 'routing/', what: 'routing table' },
  { prefix: 'config/', what: 'nginx config' },
];

/** The arguments whose change is a change of content (each forces a new blob). */
const CONTENT = new Set(['name', 'source_content', 'source', 'source_uri', 'content_md5']);

export interface BlobVersion {
  /** 'routing table', 'nginx config', or 'blob'. */
  readonly what: string;
  /** The previous and the new blob names. */
  readonly before: string;
  readonly after: string;
  /** The blob whose metadata names the new version (the front's pointer), if there is one. */
  readonly pointer?: string;
}

/**
 * A replacement that is a new version: an azurerm_storage_blob created before the old one is
 * destroyed, under a new name, replaced for its content only.
 */
export function blobVersionOf(r: {
  readonly type: string;
  readonly createBeforeDestroy: boolean;
  /** Paths that force the replacement (`name`, `source_content` ...). */
  readonly forced: readonly string[];
  readonly nameBefore: unknown;
  readonly nameAfter: unknown;
}): BlobVersion | undefined {
  if (r.type !== 'azurerm_storage_blob' || !r.createBeforeDestroy) return undefined;
  if (typeof r.nameBefore !== 'string' || typeof r.nameAfter !== 'string' || r.nameBefore === r.nameAfter) return undefined;
  if (!r.forced.every((p) => CONTENT.has(p))) return undefined;
  const kind = KINDS.find((k) => r.nameBefore!.toString().startsWith(k.prefix) && r.nameAfter!.toString().startsWith(k.prefix));
  return { what: kind?.what ?? 'blob', before: r.nameBefore, after: r.nameAfter };
}

/** The hash in a content-addressed name, else the name. */
export const versionLabel = (name: string): string => /([0-9a-f]{8,})\.[A-Za-z0-9]+$/.exec(name)?.[1] ?? name;

/** 'routing table: new version `ab12…`, named by the pointer `current`; the previous `cd34…` is removed after' */
export const versionText = (v: BlobVersion): string =>
  `${v.what}: new version ${code(versionLabel(v.after))}${v.pointer ? `, named by the pointer ${code(v.pointer)} (updated in place)` : ''}; the previous ${code(versionLabel(v.before))} is removed after`;

/** Why a create-before-destroy replacement of a blob under the same name fails at apply. */
export const SAME_NAME_BLOB =
  'is replaced create-before-destroy under the same name: the provider\'s create finds the old blob of that name and fails (the apply stops); give each version its own name (content-addressed)';
