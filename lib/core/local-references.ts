/**
 * Every stack this library writes plans on its own: stacks share names and IDs computed from the
 * spec's plan, never a Terraform reference to another stack's resource (which cdktf would turn
 * into an output and a `terraform_remote_state`, tying one stack's plan to another's state). That
 * is what lets {@link StableAddressStack} skip cdktf's 'preparing' resolve pass, which exists only
 * to find such references. {@link foreignReferences} proves it after every synth: each reference
 * in a stack's JSON names an element of that stack.
 */

/** A resource or data source address (`azurerm_lb.front`, `data.azurerm_platform_image.x`). */
const REFERENCE = /(?<![\w.])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)/g;
const VARIABLE = /(?<![\w.])var\.([A-Za-z_][A-Za-z0-9_-]*)/g;

/** Each `${…}` expression in a string, `$${` escapes skipped, nested braces balanced. */
function expressionsIn(s: string): string[] {
  const out: string[] = [];
  for (let i = s.indexOf('${'); i !== -1; i = s.indexOf('${', i + 2)) {
    if (i > 0 && s[i - 1] === '$') continue;
    let depth = 1;
    let j = i + 2;
    for (; j < s.length && depth > 0; j++) {
      if (s[j] === '{') depth++;
      else if (s[j] === '}') depth--;
    }
    // quoted literals inside an expression are data, not references
    out.push(s.slice(i + 2, j - 1).replace(/"(?:[^"\\]|\\.)*"/g, '""'));
  }
  return out;
}

/** Every string below v; `depends_on` and `replace_triggered_by` entries are bare addresses, so they are read as expressions. */
function stringsOf(v: unknown, out: string[], bare = false): string[] {
  if (typeof v === 'string') out.push(bare && !v.includes('${') ? `\${${v}}` : v);
  else if (Array.isArray(v)) for (const x of v) stringsOf(x, out, bare);
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) stringsOf(x, out, k === 'depends_on' || k === 'replace_triggered_by');
  return out;
}

/** The references in one synthesized stack (cdk.tf.json, parsed) that name nothing declared in it. */
export function foreignReferences(stack: Record<string, unknown>): string[] {
  const declared = (section: unknown) => new Set(Object.entries((section ?? {}) as Record<string, Record<string, unknown>>).flatMap(([type, byName]) => Object.keys(byName).map((name) => `${type}.${name}`)));
  const resources = declared(stack.resource);
  const data = declared(stack.data);
  const variables = new Set(Object.keys((stack.variable ?? {}) as object));
  const foreign = new Set<string>();
  for (const s of stringsOf({ resource: stack.resource, data: stack.data, output: stack.output, locals: stack.locals, provider: stack.provider }, [])) {
    for (const expr of expressionsIn(s)) {
      for (const m of expr.matchAll(REFERENCE)) {
        const address = `${m[2]}.${m[3]}`;
        if (!(m[1] ? data : resources).has(address)) foreign.add(`${m[1] ?? ''}${address}`);
      }
      for (const m of expr.matchAll(VARIABLE)) if (!variables.has(m[1])) foreign.add(`var.${m[1]}`);
    }
  }
  return [...foreign].sort();
}
