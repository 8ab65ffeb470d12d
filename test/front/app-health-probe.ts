/**
 * A small TypeScript port of how the Application Health extension for Linux, type handler 2.0
 * (rich health states), judges one HTTP probe, written from its source
 * (Azure/applicationhealth-extension-linux at 2.0.29):
 *
 * - `main/health.go`, `HttpHealthProbe.evaluate`: GET the address with User-Agent
 *   `ApplicationHealthExtension/1.0`, 30 s timeout, no redirects followed (`noRedirect` makes the
 *   request fail). A transport error, a timeout or a status outside 200-299 is `Unknown`. Else the
 *   body is `json.Unmarshal`ed into `ProbeResponse`; an unmarshal error is `Unknown`; then
 *   `validateApplicationHealthState`; failing it is `Unknown`.
 * - `main/probeResponse.go`: `ProbeResponse{ ApplicationHealthState HealthStatus
 *   json:"applicationHealthState"; CustomMetrics string json:"customMetrics,omitempty" }`, and
 *   `allowedHealthStatuses` = exactly `Healthy` and `Unhealthy` (case-sensitive values).
 *   `validateCustomMetrics` only sends telemetry; it never changes the state.
 *
 * Go's encoding/json, as used there: the top level must be an object (or `null`, which leaves the
 * struct empty, so the state is "" and invalid); keys match the field tags case-insensitively
 * (ASCII folding here; Go also folds the Kelvin sign and long s); a field whose value has the wrong
 * JSON type (a number for the state, an object for customMetrics) makes Unmarshal return an error;
 * `null` leaves a field as it was; other keys are ignored.
 */
import http from 'node:http';

export type ProbeState = 'Healthy' | 'Unhealthy' | 'Unknown';

export interface ProbeResult {
  readonly state: ProbeState;
  /** Why the extension would log an error for this probe (health.go returns it with the state). */
  readonly error?: string;
}

const FIELDS = { applicationHealthState: 'applicationHealthState', customMetrics: 'customMetrics' } as const;

/** `json.Unmarshal(body, &probeResponse)` then `validateApplicationHealthState`. */
export function judgeBody(body: string): ProbeResult {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch (e) {
    return { state: 'Unknown', error: `json: ${(e as Error).message}` };
  }
  if (doc !== null && (typeof doc !== 'object' || Array.isArray(doc))) return { state: 'Unknown', error: `json: cannot unmarshal ${Array.isArray(doc) ? 'array' : typeof doc} into Go value of type main.ProbeResponse` };
  const fields: Record<string, string> = {};
  let typeError: string | undefined;
  for (const [key, value] of Object.entries((doc ?? {}) as Record<string, unknown>)) {
    // an exact match first, else a case-insensitive one
    const field = Object.values(FIELDS).find((f) => f === key) ?? Object.values(FIELDS).find((f) => f.toLowerCase() === key.toLowerCase());
    if (field === undefined || value === null) continue;
    if (typeof value !== 'string') {
      typeError ??= `json: cannot unmarshal ${Array.isArray(value) ? 'array' : typeof value} into Go struct field ProbeResponse.${field}`;
      continue;
    }
    fields[field] = value;
  }
  if (typeError) return { state: 'Unknown', error: typeError };
  const state = fields.applicationHealthState ?? '';
  if (state !== 'Healthy' && state !== 'Unhealthy') return { state: 'Unknown', error: `Response body key 'ApplicationHealthState' has invalid value '${state}'` };
  return { state };
}

/** One probe of `url`, judged as `HttpHealthProbe.evaluate` does. */
export function evaluateHttpProbe(url: string, timeoutMs = 30_000): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const req = http.get(url, { headers: { 'User-Agent': 'ApplicationHealthExtension/1.0' }, agent: false, timeout: timeoutMs }, (res) => {
      const status = res.statusCode ?? 0;
      // a redirect is an error too (noRedirect), and it is outside 200-299 as well
      if (status < 200 || status > 299) {
        res.resume();
        return resolve({ state: 'Unknown', error: `Unsuccessful response status code ${status}` });
      }
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(judgeBody(body)));
      res.on('error', (e) => resolve({ state: 'Unknown', error: e.message }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ state: 'Unknown', error: e.message }));
  });
}
