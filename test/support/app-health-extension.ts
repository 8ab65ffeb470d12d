/**
 * A small TypeScript port of how the ApplicationHealthLinux extension, type handler 2.0 (rich
 * health states), reads the VM health endpoint. Written from the extension's source
 * (Azure/applicationhealth-extension-linux, read at commit 7301ada, "Bump apphealth version to
 * 2.0.29"), not from its documentation; a model of Azure for the tests, not product code.
 *
 * `evaluateReply` ports `HttpHealthProbe.evaluate` (main/health.go) with `ProbeResponse` and
 * `validateApplicationHealthState` (main/probeResponse.go), and the parts of Go's
 * `encoding/json.Unmarshal` they rely on. `commitStates` ports the probe loop of `enable`
 * (main/cmds.go): consecutive probes, the grace period and the committed state Azure sees.
 */
import http from 'node:http';

/** `HealthStatus` (main/health.go). */
export type HealthState = 'Initializing' | 'Healthy' | 'Unhealthy' | 'Unknown';

/** One reply of the endpoint, or a transport failure (refused, timed out: `http.Client.Do` errs). */
export type Reply = { readonly status: number; readonly body: string } | { readonly error: string };

/** What the extension makes of one reply, and the error it logs ("Error evaluating health probe"). */
export interface Evaluation {
  readonly state: HealthState;
  readonly error?: string;
}

/** Go's encoding/json matches a key to a struct field by exact name first, else case-insensitively. */
const matches = (key: string, field: string) => key === field || key.toLowerCase() === field.toLowerCase();

/**
 * `json.Unmarshal(body, &probeResponse)` into
 * `struct { ApplicationHealthState HealthStatus \`json:"applicationHealthState"\`; CustomMetrics string \`json:"customMetrics,omitempty"\` }`:
 * the top level must be an object (or `null`, which leaves the struct empty); each matching key is
 * assigned in document order (the last one wins); `null` leaves a field as it is; a value of another
 * type than string is an UnmarshalTypeError (Unmarshal goes on, then returns the error); other keys
 * are ignored. Syntax errors and trailing data are errors.
 */
function unmarshalProbeResponse(body: string): { applicationHealthState: string; customMetrics: string; error?: string } {
  const out = { applicationHealthState: '', customMetrics: '' };
  let doc: unknown;
  try {
    doc = JSON.parse(body); // like Go, refuses trailing data and an empty body
  } catch (e) {
    return { ...out, error: `invalid JSON: ${(e as Error).message}` };
  }
  if (doc === null) return out;
  if (typeof doc !== 'object' || Array.isArray(doc)) return { ...out, error: `json: cannot unmarshal ${Array.isArray(doc) ? 'array' : typeof doc} into Go value of type main.ProbeResponse` };
  let error: string | undefined;
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const field = matches(key, 'applicationHealthState') ? 'applicationHealthState' : matches(key, 'customMetrics') ? 'customMetrics' : undefined;
    if (!field || value === null) continue;
    if (typeof value === 'string') out[field] = value;
    else error ??= `json: cannot unmarshal ${typeof value} into Go struct field ProbeResponse.${field} of type string`;
  }
  return { ...out, error };
}

/** `allowedHealthStatuses` (main/probeResponse.go): exactly these two spellings. */
const ALLOWED: ReadonlySet<string> = new Set(['Healthy', 'Unhealthy']);

/**
 * `HttpHealthProbe.evaluate` (main/health.go), step by step:
 * a transport error or timeout → Unknown; a status outside 200–299 → Unknown, the body unread
 * ("Unsuccessful response status code"); a body that does not unmarshal → Unknown; a state other
 * than "Healthy" / "Unhealthy" (case-sensitive) → Unknown ("Response body key
 * 'ApplicationHealthState' has invalid value"); else the state the body names.
 * (`validateCustomMetrics` only logs; redirects are refused by the client's CheckRedirect, so a 3xx
 * arrives as a non-2xx status.)
 */
export function evaluateReply(reply: Reply): Evaluation {
  if ('error' in reply) return { state: 'Unknown', error: reply.error };
  if (reply.status < 200 || reply.status > 299) return { state: 'Unknown', error: `Unsuccessful response status code ${reply.status}` };
  const r = unmarshalProbeResponse(reply.body);
  if (r.error) return { state: 'Unknown', error: r.error };
  if (!ALLOWED.has(r.applicationHealthState)) return { state: 'Unknown', error: `Response body key 'ApplicationHealthState' has invalid value '${r.applicationHealthState}'` };
  return { state: r.applicationHealthState as HealthState };
}

/** The extension's public settings that shape the loop (main/handlersettings.go). */
export interface ProbeSettings {
  /** `intervalInSeconds()`: 0 means 5. */
  readonly intervalInSeconds?: number;
  /** `numberOfProbes()`: 0 means 1. */
  readonly numberOfProbes?: number;
  /** `gracePeriod()`: 0 means intervalInSeconds × numberOfProbes. */
  readonly gracePeriod?: number;
}

/**
 * The committed state after each probe (what the extension writes to its status file, and Azure
 * acts on), for probe results taken one interval apart from the extension's start. Ports the loop
 * of `enable` (main/cmds.go) for an HTTP probe, whose `healthStatusAfterGracePeriodExpires()` is
 * Unknown:
 * - a state repeated `numberOfProbes` times in a row is committed; the first committed state is
 *   whatever the first probe gives;
 * - during the grace period the state shows as Initializing, until `numberOfProbes` consecutive
 *   probes give a state other than Unknown (Healthy *or Unhealthy*: either ends the grace period);
 * - when the grace period runs out first, Unknown is committed.
 */
export function commitStates(probes: readonly HealthState[], settings: ProbeSettings): HealthState[] {
  const interval = settings.intervalInSeconds || 5;
  const needed = settings.numberOfProbes || 1;
  const grace = settings.gracePeriod || interval * needed;
  const afterGrace: HealthState = 'Unknown';
  let prev: HealthState | '' = '';
  let committed: HealthState | '' = '';
  let consecutive = 0;
  let honorGrace = grace > 0;
  const out: HealthState[] = [];
  probes.forEach((probed, i) => {
    const elapsed = i * interval;
    let state = probed;
    if (prev === state) consecutive++;
    else {
      consecutive = 1;
      prev = state;
    }
    if (honorGrace) {
      if (elapsed >= grace) {
        honorGrace = false;
        state = afterGrace;
        prev = afterGrace;
        consecutive = 1;
        committed = '';
      } else if (consecutive === needed && state !== afterGrace) {
        honorGrace = false;
      } else {
        state = 'Initializing';
      }
    }
    if (consecutive === needed || committed === '') {
      if (state !== committed) committed = state;
      if (consecutive === needed) consecutive = 0;
    }
    out.push(committed as HealthState);
  });
  return out;
}

/**
 * One probe of `url` as `HttpHealthProbe.evaluate` makes it (main/health.go): GET with User-Agent
 * `ApplicationHealthExtension/1.0`, redirects not followed, a transport error or timeout as Unknown;
 * then {@link evaluateReply}.
 */
export function probeUrl(url: string, timeoutMs = 30_000): Promise<Evaluation> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers: { 'User-Agent': 'ApplicationHealthExtension/1.0' }, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(evaluateReply({ status: res.statusCode ?? 0, body })));
      res.on('error', (e) => resolve(evaluateReply({ error: e.message })));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve(evaluateReply({ error: e.message })));
  });
}
