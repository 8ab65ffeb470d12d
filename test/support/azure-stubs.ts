/**
 * Loopback stand-ins for the Azure endpoints a booted VM calls, on one HTTP server on 127.0.0.1
 * (an ephemeral port): the instance metadata service (managed-identity tokens, the scale set's
 * user data), a blob store and a Key Vault. Shaped by what the rendered programs send and what
 * Azure answers (docs/boot-tests.md lists the differences); a model for the boot tests, not product code.
 *
 *   GET /metadata/identity/oauth2/token?resource=R&msi_res_id=ID   (header Metadata: true, else 400)
 *       → {"access_token": stubToken(R, ID), ...}
 *   GET /metadata/instance/compute/userData?format=text            (header Metadata: true)
 *       → the user data, base64 (as IMDS serves it)
 *   GET /blob/<account>/<container>/<path>                         (Bearer token for https://storage.azure.com/)
 *       → the blob; 403 AuthorizationPermissionMismatch while `refuse` says so; 404 BlobNotFound
 *   HEAD (Get Blob Properties) the same, without the body: its metadata as x-ms-meta-<name> headers
 *   GET /vault/<name>/secrets/<secret>?api-version=7.4             (Bearer token for https://vault.azure.net)
 *       → {"value": ..., "id": ..., "contentType"?}; 404 SecretNotFound when the vault has no such secret
 *
 * `extra` answers other requests first (the Scheduled Events stand-in, test/support/scheduled-events.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StubRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingMessage['headers'];
  readonly status: number;
}

export interface AzureStubs {
  readonly port: number;
  /** `http://127.0.0.1:<port>`: IMDS_ENDPOINT for the VM. */
  readonly imds: string;
  /** The user data IMDS serves (the release document, plain text; served base64). */
  userData: string;
  /** Blobs by path below /blob/ (`<account>/<container>/<name>`). */
  readonly blobs: Map<string, Buffer>;
  /** Blob metadata by the same path (served as x-ms-meta-<name> headers). */
  readonly blobMetadata: Map<string, Readonly<Record<string, string>>>;
  /** Secrets by vault name, then secret name: a value, or a value with its contentType (a certificate's). */
  readonly secrets: Map<string, Map<string, string | { value: string; contentType: string }>>;
  /** Refuse (403) a request to this path? Called with the path and how many came before it. */
  refuse: (path: string, seen: number) => boolean;
  /** Every request, in order. */
  readonly log: StubRequest[];
  /** The stub URL for an Azure blob URL (https://<account>.blob.core.windows.net/<path>). */
  blobUrl(azureUrl: string): string;
  /** VAULT_URL for the VM: the stub's vault `name`. */
  vaultUrl(name: string): string;
  close(): Promise<void>;
}

const json = (o: unknown) => Buffer.from(JSON.stringify(o));

/** The access token the stub IMDS issues for a resource and an identity (opaque to the VM, as a real one is). */
export const stubToken = (resource: string, identity: string) => `stub.${Buffer.from(JSON.stringify({ resource, identity })).toString('base64url')}`;

function tokenClaims(authorization: unknown): { resource?: string; identity?: string } {
  const m = /^Bearer stub\.([A-Za-z0-9_-]+)$/.exec(String(authorization ?? ''));
  try {
    return m ? JSON.parse(Buffer.from(m[1], 'base64url').toString('utf8')) : {};
  } catch {
    return {};
  }
}

/** Answers a request itself (true), or leaves it to the stubs (false). */
export type ExtraHandler = (req: IncomingMessage, res: ServerResponse) => boolean;

export async function azureStubs(extra?: ExtraHandler): Promise<AzureStubs> {
  const seen = new Map<string, number>();
  const state = {
    userData: '',
    blobs: new Map<string, Buffer>(),
    blobMetadata: new Map<string, Readonly<Record<string, string>>>(),
    secrets: new Map<string, Map<string, string | { value: string; contentType: string }>>(),
    refuse: (() => false) as (path: string, seen: number) => boolean,
    log: [] as StubRequest[],
  };
  const tokenOk = (req: IncomingMessage, resource: string) => {
    const claims = tokenClaims(req.headers.authorization);
    return claims.resource === resource && !!claims.identity;
  };
  const server: Server = createServer((req, res) => {
    if (extra?.(req, res)) return;
    const url = new URL(req.url!, 'http://stub');
    const path = url.pathname;
    const n = seen.get(path) ?? 0;
    seen.set(path, n + 1);
    let status = 404;
    let body: Buffer = Buffer.from('');
    const headers: Record<string, string> = {};
    const metadata = req.headers.metadata === 'true';
    if (path === '/metadata/identity/oauth2/token') {
      const resource = url.searchParams.get('resource') ?? '';
      const identity = url.searchParams.get('msi_res_id') ?? '';
      if (!metadata) [status, body] = [400, json({ error: 'invalid_request', error_description: 'Required metadata header not specified' })];
      else if (!resource || !identity) [status, body] = [400, json({ error: 'invalid_request' })];
      else [status, body] = [200, json({ access_token: stubToken(resource, identity), expires_in: '86399', resource, token_type: 'Bearer' })];
    } else if (path === '/metadata/instance/compute/userData') {
      if (!metadata) status = 400;
      else [status, body] = [200, Buffer.from(Buffer.from(state.userData, 'utf8').toString('base64'))];
    } else if (path.startsWith('/blob/')) {
      const name = decodeURIComponent(path.slice('/blob/'.length));
      const blob = state.blobs.get(name);
      if (!tokenOk(req, 'https://storage.azure.com/') || !req.headers['x-ms-version']) [status, body] = [401, Buffer.from('NoAuthenticationInformation')];
      else if (state.refuse(path, n)) [status, body] = [403, Buffer.from('AuthorizationPermissionMismatch')];
      else if (!blob) [status, body] = [404, Buffer.from('BlobNotFound')];
      else {
        [status, body] = [200, blob];
        for (const [k, v] of Object.entries(state.blobMetadata.get(name) ?? {})) headers[`x-ms-meta-${k}`] = v;
      }
    } else if (path.startsWith('/vault/')) {
      const m = /^\/vault\/([^/]+)\/secrets\/([^/]+)$/.exec(path);
      const secret = m && state.secrets.get(m[1])?.get(m[2]);
      const value = typeof secret === 'object' && secret ? secret.value : secret;
      const contentType = typeof secret === 'object' && secret ? { contentType: secret.contentType } : {};
      if (!tokenOk(req, 'https://vault.azure.net')) [status, body] = [401, json({ error: { code: 'Unauthorized' } })];
      else if (state.refuse(path, n)) [status, body] = [403, json({ error: { code: 'Forbidden' } })];
      else if (value === undefined || value === null) [status, body] = [404, json({ error: { code: 'SecretNotFound', message: `A secret with (name/id) ${m?.[2]} was not found in this key vault.` } })];
      else [status, body] = [200, json({ value, ...contentType, id: `https://${m![1]}.vault.azure.net/secrets/${m![2]}/0123456789abcdef` })];
    }
    state.log.push({ method: req.method ?? 'GET', path, query: url.searchParams, headers: req.headers, status });
    res.writeHead(status, { 'Content-Length': body.length, ...headers });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const base = `http://127.0.0.1:${port}`;
  return {
    port,
    imds: base,
    get userData() {
      return state.userData;
    },
    set userData(v: string) {
      state.userData = v;
    },
    blobs: state.blobs,
    blobMetadata: state.blobMetadata,
    secrets: state.secrets,
    get refuse() {
      return state.refuse;
    },
    set refuse(f) {
      state.refuse = f;
    },
    log: state.log,
    blobUrl(azureUrl: string) {
      const u = new URL(azureUrl);
      const account = /^([a-z0-9]+)\.blob\.core\.windows\.net$/.exec(u.hostname)?.[1];
      if (!account) throw new Error(`not an Azure blob URL: ${azureUrl}`);
      return `${base}/blob/${account}${u.pathname}`;
    },
    vaultUrl(name: string) {
      return `${base}/vault/${name}`;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
