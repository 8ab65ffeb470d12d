/**
 * The front's access log as the workspace receives it: the data collection rule's stream, its
 * transform and the `FrontAccess_CL` table agree, checked by Kusto.Language (the parser and binder
 * of Log Analytics). The lines real nginx writes are held to the stream's fields and types in
 * test/front/nginx-front.test.ts.
 */
import { FRONT_ACCESS_LOG_FIELDS, FRONT_ACCESS_TRANSFORM, frontAccessStreamColumns, frontAccessTableColumns, renderFrontLogFormat } from '../../lib/monitor/front-access-log';
import { analyzeKql } from '../support/kql';
import { resourceAt, type Json, exampleStacks } from '../helpers';

const stream = { source: frontAccessStreamColumns() };

test("the transform binds against the stream with no diagnostic, and its result is the table's columns, names and types", () => {
  const r = analyzeKql(FRONT_ACCESS_TRANSFORM, stream);
  expect(r.diagnostics).toEqual([]);
  const byName = (cs: Array<{ name: string; type: string }>) => Object.fromEntries(cs.map((c) => [c.name, c.type]));
  // Computer and FilePath ride the stream (the agent fills them only when the stream declares them)
  expect(byName(r.columns)).toEqual(byName(frontAccessTableColumns()));
  expect(r.columns.find((c) => c.name === 'TimeGenerated')?.type).toBe('datetime');
  expect(r.columns.find((c) => c.name === 'Status')?.type).toBe('int');
});

test('the checker is real: a misspelt column or an unknown function is a diagnostic', () => {
  expect(analyzeKql('source | extend TimeGenerated = todatetime(Tme)', stream).diagnostics.join()).toMatch(/Tme/);
  expect(analyzeKql('source | extend TimeGenerated = to_datetime(Time)', stream).diagnostics.join()).toMatch(/to_datetime/);
});

test('the transform uses only what Azure allows in a transform (extend, project-away, todatetime, toint)', () => {
  // "Supported KQL features in Azure Monitor transformations": operators on one row at a time
  const operators = [...FRONT_ACCESS_TRANSFORM.matchAll(/\|\s*([a-z-]+)/g)].map((m) => m[1]);
  const functions = [...FRONT_ACCESS_TRANSFORM.matchAll(/\b([a-z_]+)\(/g)].map((m) => m[1]);
  expect(FRONT_ACCESS_TRANSFORM.startsWith('source |')).toBe(true);
  expect({ operators, functions }).toEqual({ operators: ['extend', 'project-away'], functions: ['todatetime', 'toint'] });
});

test('the nginx log_format names every field once, numbers unquoted and strings quoted', () => {
  const text = renderFrontLogFormat().join('\n');
  expect(text).toMatch(/^ {2}log_format front escape=json\n/);
  for (const f of FRONT_ACCESS_LOG_FIELDS) expect(text.split(`"${f.name}":`).length - 1).toBe(1);
  expect(text).toContain('"Status":"$status"');
  expect(text).toContain('"BytesSent":$body_bytes_sent');
  expect(text).toContain('"Host":"$host"');
  // the table's columns: at most 500 in a Log Analytics table, names unique
  const names = frontAccessTableColumns().map((c) => c.name);
  expect(new Set(names).size).toBe(names.length);
});

test("the synthesized table and stream spell each type as its API does (the table's dateTime, the stream's datetime)", () => {
  const stacks = exampleStacks();
  const monitor = JSON.parse(stacks['retail-monitor']) as Json;
  // azurerm v4.55.0's validation lists (vendored go-azure-sdk tables.ColumnTypeEnum, datacollectionrules.KnownColumnDefinitionType)
  const TABLE_TYPES = ['boolean', 'dateTime', 'dynamic', 'guid', 'int', 'long', 'real', 'string'];
  const STREAM_TYPES = ['boolean', 'datetime', 'dynamic', 'int', 'long', 'real', 'string'];
  const table = resourceAt(monitor, 'azurerm_log_analytics_workspace_table_custom_log', 'front-access-table');
  expect(table.column.filter((c: Json) => !TABLE_TYPES.includes(c.type))).toEqual([]);
  expect(table.column.find((c: Json) => c.name === 'TimeGenerated').type).toBe('dateTime');
  const rule = resourceAt(monitor, 'azurerm_monitor_data_collection_rule', 'front-rule');
  expect(rule.stream_declaration[0].column.filter((c: Json) => !STREAM_TYPES.includes(c.type))).toEqual([]);
});
