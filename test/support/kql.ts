/**
 * KQL checked by Kusto.Language, the parser and semantic analyzer behind Azure Data Explorer and
 * Log Analytics (`@kusto/language-service-next`, Microsoft's own build of it for JavaScript): a
 * query is parsed and bound against the tables it names, with their columns and types, so a
 * misspelt column, an unknown function or a type error is a diagnostic here as it would be in the
 * portal. It does not run queries: no data is involved.
 */
import type { LogColumnType } from '../../lib/monitor/front-access-log';

/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-require-imports */
let K: any;
function kusto(): any {
  if (!K) {
    require('@kusto/language-service-next/bridge.min.js');
    require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
    K = (globalThis as any).Kusto.Language;
  }
  return K;
}

export interface Column {
  readonly name: string;
  readonly type: LogColumnType | 'bool' | 'dynamic' | 'guid' | 'timespan';
}
export type Tables = Readonly<Record<string, readonly Column[]>>;

export interface Analysis {
  /** Errors and warnings, each as `Severity: message @offset`. */
  readonly diagnostics: string[];
  /** The result's columns (name and Kusto type), when the query ends in a table. */
  readonly columns: Column[];
}

const scalar = (S: any, t: Column['type']) =>
  ({ string: S.ScalarTypes.String, int: S.ScalarTypes.Int, long: S.ScalarTypes.Long, real: S.ScalarTypes.Real, datetime: S.ScalarTypes.DateTime, bool: S.ScalarTypes.Bool, dynamic: S.ScalarTypes.Dynamic, guid: S.ScalarTypes.Guid, timespan: S.ScalarTypes.TimeSpan })[t];

/**
 * `arg("").<Table>`: Log Analytics' cross-service query into Azure Resource Graph, which
 * Kusto.Language's globals do not know ("The name 'arg' does not refer to any known function").
 * It is read as the table it names (spaces keep the offsets), so give that table in `tables`
 * with Resource Graph's columns; the rest of the query binds against them.
 */
const ARG = /\barg\(""\)\./g;

/** Parses and binds `query` against `tables` (one database holding them all). */
export function analyzeKql(query: string, tables: Tables): Analysis {
  query = query.replace(ARG, (m) => ' '.repeat(m.length));
  const k = kusto();
  const S = k.Symbols;
  const symbols = Object.entries(tables).map(([name, cols]) => new S.TableSymbol.$ctor4(name, cols.map((c) => new S.ColumnSymbol(c.name, scalar(S, c.type)))));
  const globals = k.GlobalState.Default.WithDatabase(new S.DatabaseSymbol.ctor('workspace', symbols));
  const code = k.KustoCode.ParseAndAnalyze(query, globals);
  const d = code.GetDiagnostics();
  const diagnostics: string[] = [];
  for (let i = 0; i < d.Count; i++) {
    const x = d.getItem(i);
    diagnostics.push(`${x.Severity}: ${x.Message} @${x.Start}`);
  }
  const columns: Column[] = [];
  const rs = code.ResultType;
  if (rs && rs.Columns) for (let i = 0; i < rs.Columns.Count; i++) columns.push({ name: rs.Columns.getItem(i).Name, type: rs.Columns.getItem(i).Type.Name });
  return { diagnostics, columns };
}
