/**
 * The front's access log as data (pure): one JSON object per line (nginx `escape=json`), which the
 * Azure Monitor Agent reads as a "Custom JSON Logs" source into the workspace table
 * `FrontAccess_CL`. One list of fields is the source of the nginx `log_format`, the data collection
 * rule's stream declaration, the table's columns and the transform, so the four cannot drift.
 *
 * Why JSON and not the text format with a `parse` transform: Azure's transforms allow `parse` but
 * only 10 columns per statement, and a request line or host that holds the delimiter would shift
 * every later column. nginx escapes every variable as a JSON string (`escape=json`, nginx 1.11.8),
 * the agent maps each property to the column of the same name ("Any columns in the table that
 * match the name of a field in the parsed JSON data will be populated", Azure Monitor docs,
 * "Collect JSON file from virtual machine"), and the transform only moves `Time` into
 * `TimeGenerated`. The path is `$uri` (no query string): query strings can carry tokens, and they
 * would land in a workspace many people read.
 */

/** A column type Log Analytics tables and data collection rule streams share. */
export type LogColumnType = 'string' | 'int' | 'long' | 'real' | 'datetime';

/** One field of the front's access log line. */
export interface AccessLogField {
  /** The JSON property and the table column (PascalCase, as Azure's own tables). */
  readonly name: string;
  /** The nginx variable (or expression) that fills it. */
  readonly nginx: string;
  /** How the stream declares it and the table stores it. */
  readonly type: LogColumnType;
  /** Written without quotes: nginx always sets these variables to a number. */
  readonly number?: boolean;
  /** The column's description in the table. */
  readonly description: string;
}

/** The fields, in the order nginx writes them. */
export const FRONT_ACCESS_LOG_FIELDS: readonly AccessLogField[] = [
  { name: 'Time', nginx: '$time_iso8601', type: 'string', description: 'when nginx finished the request (ISO 8601); the transform moves it into TimeGenerated' },
  { name: 'RequestId', nginx: '$request_id', type: 'string', description: "nginx's 32-hex-digit request ID" },
  { name: 'Client', nginx: '$remote_addr', type: 'string', description: 'the caller (or the load balancer) address' },
  { name: 'Host', nginx: '$host', type: 'string', description: 'the Host header, as routed' },
  { name: 'Method', nginx: '$request_method', type: 'string', description: 'the HTTP method' },
  { name: 'Path', nginx: '$uri', type: 'string', description: 'the request path, without the query string' },
  { name: 'Protocol', nginx: '$server_protocol', type: 'string', description: 'HTTP/1.0, HTTP/1.1 or HTTP/2.0' },
  // a string in the line: nginx can log 000 (a request it never answered), which is no JSON number; the transform makes it an int
  { name: 'Status', nginx: '$status', type: 'string', description: 'the status sent to the caller' },
  { name: 'BytesSent', nginx: '$body_bytes_sent', type: 'long', number: true, description: 'body bytes sent to the caller' },
  { name: 'RequestSeconds', nginx: '$request_time', type: 'real', number: true, description: 'seconds from the first byte read to the last byte sent (millisecond resolution)' },
  { name: 'Service', nginx: '$front_service', type: 'string', description: 'the service the router chose (empty: no service matched)' },
  { name: 'Slot', nginx: '$front_slot', type: 'string', description: 'the slot that served it: blue or green' },
  { name: 'Reason', nginx: '$front_reason', type: 'string', description: 'why that slot: live, weight, rule:<name>, failover, …' },
  { name: 'Upstream', nginx: '$upstream_addr', type: 'string', description: 'the backends tried, comma-separated in order' },
  { name: 'UpstreamStatus', nginx: '$upstream_status', type: 'string', description: 'their statuses, comma-separated' },
  { name: 'UpstreamSeconds', nginx: '$upstream_response_time', type: 'string', description: 'their response times in seconds, comma-separated' },
];

/** The workspace table the front's access log lands in. */
export const FRONT_ACCESS_TABLE = 'FrontAccess_CL';
/** The data collection rule's stream for it (custom streams start with `Custom-`). */
export const FRONT_ACCESS_STREAM = 'Custom-FrontAccess';

/**
 * The ingestion-time transform: `TimeGenerated` from the line's own time (else the agent's
 * ingestion time), `Time` dropped, `Status` from the line's string to the table's int. Only
 * operators Azure lists for transforms (`extend`, `project-away`, `todatetime`, `toint`):
 * "Supported KQL features in Azure Monitor transformations".
 */
export const FRONT_ACCESS_TRANSFORM = 'source | extend TimeGenerated = todatetime(Time), Status = toint(Status) | project-away Time';

/** The nginx `log_format front` directive (inside `http {}`), two-space indented. */
export function renderFrontLogFormat(): string[] {
  const parts = FRONT_ACCESS_LOG_FIELDS.map((f, i) => `${i === 0 ? '{' : ','}"${f.name}":${f.number ? f.nginx : `"${f.nginx}"`}`);
  return ['  log_format front escape=json', ...parts.map((p, i) => `    '${p}${i === parts.length - 1 ? '}' : ''}'${i === parts.length - 1 ? ';' : ''}`)];
}

/**
 * A column type as `azurerm_log_analytics_workspace_table_custom_log` spells it: the tables API's
 * enum has `dateTime` where the data collection rule's stream has `datetime` (azurerm v4.55.0,
 * vendored go-azure-sdk operationalinsights/2022-10-01/tables `ColumnTypeEnum` and
 * insights/2023-03-11/datacollectionrules `KnownColumnDefinitionType`; both are validated
 * case-sensitively, and `terraform validate` refused the table with `datetime`).
 */
export const tableColumnType = (t: LogColumnType): string => (t === 'datetime' ? 'dateTime' : t);

/**
 * The stream the agent sends: every field as declared, and the two the agent fills itself when the
 * stream declares them ("If you add this column to the incoming stream in the DCR, it will be
 * populated", Azure Monitor docs, JSON logs; Microsoft's JSON rule samples declare both).
 */
export const frontAccessStreamColumns = (): Array<{ name: string; type: LogColumnType }> => [
  ...FRONT_ACCESS_LOG_FIELDS.map((f) => ({ name: f.name, type: f.type })),
  { name: 'Computer', type: 'string' },
  { name: 'FilePath', type: 'string' },
];

/** The table's type of a field: as the stream's, except what the transform converts. */
const TABLE_TYPE_OVERRIDES: Readonly<Record<string, LogColumnType>> = { Status: 'int' };

/**
 * The table's columns: TimeGenerated, the two the agent fills itself (`Computer`, `FilePath`:
 * "If the table includes this column, it will be populated"), and every field but `Time`.
 */
export function frontAccessTableColumns(): Array<{ name: string; type: LogColumnType; description: string }> {
  return [
    { name: 'TimeGenerated', type: 'datetime', description: 'when nginx finished the request' },
    { name: 'Computer', type: 'string', description: 'the front VM (filled by the agent)' },
    { name: 'FilePath', type: 'string', description: 'the log file (filled by the agent)' },
    ...FRONT_ACCESS_LOG_FIELDS.filter((f) => f.name !== 'Time').map(({ name, type, description }) => ({ name, type: TABLE_TYPE_OVERRIDES[name] ?? type, description })),
  ];
}
