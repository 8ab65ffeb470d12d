// Generates a plain-JavaScript cdktf app that builds, with raw provider constructs only, the same
// resources a synth output holds: the floor the library is measured against.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const camel = (k) => k.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase());
const FREE_FORM = new Set(['tags', 'metadata']);

function toConfig(value, key) {
  if (Array.isArray(value)) return value.map((v) => toConfig(v));
  if (value && typeof value === 'object') {
    if (FREE_FORM.has(key)) return value;
    const out = {};
    for (const [k, v] of Object.entries(value)) if (k !== '//') out[camel(k)] = toConfig(v, k);
    return out;
  }
  return value;
}

// azurerm_* from the azurerm provider, time_* (the waits after grants) from the time provider
const packageOf = (type) => (type.startsWith('time_') ? '@cdktf/provider-time' : '@cdktf/provider-azurerm');
const moduleOf = (type) => `${packageOf(type)}/lib/${type.replace(/^(azurerm|time)_/, '').replace(/_/g, '-')}`;
const classOf = (type) => {
  const mod = require(moduleOf(type));
  const name = Object.keys(mod).find((k) => mod[k]?.tfResourceType === type);
  if (!name) throw new Error(`no class for ${type}`);
  return name;
};

function generate(outdir, file) {
  const stacks = fs.readdirSync(path.join(outdir, 'stacks')).sort();
  const types = new Map();
  const body = [];
  for (const stack of stacks) {
    const json = JSON.parse(fs.readFileSync(path.join(outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8'));
    // one function per stack, as hand-written code would have (a class or function per stack): cdktf
    // captures a stack trace per token, and V8 makes that dearer inside one 8 MB function
    body.push(`(function stack${body.length}() { const s = new TerraformStack(app, ${JSON.stringify(stack)});`);
    body.push(`  new AzurermProvider(s, 'azurerm', ${JSON.stringify(toConfig(json.provider.azurerm[0]))});`);
    if (json.provider.time) body.push("  new TimeProvider(s, 'time', {});");
    const backend = json.terraform.backend;
    if (backend.local) body.push(`  new LocalBackend(s, ${JSON.stringify(toConfig(backend.local))});`);
    else body.push(`  new AzurermBackend(s, ${JSON.stringify(toConfig(backend.azurerm))});`);
    for (const [type, byAddress] of Object.entries(json.resource ?? {})) {
      if (!types.has(type)) types.set(type, classOf(type));
      for (const [address, config] of Object.entries(byAddress)) {
        body.push(`  new ${types.get(type)}(s, ${JSON.stringify(address)}, ${JSON.stringify(toConfig(config))});`);
      }
    }
    body.push('})();');
  }
  const imports = [...types].map(([type, cls]) => `const { ${cls} } = require('${moduleOf(type)}');`);
  const src = [
    "'use strict';",
    "const { App, TerraformStack, LocalBackend, AzurermBackend } = require('cdktf');",
    "const { AzurermProvider } = require('@cdktf/provider-azurerm/lib/provider');",
    "const { TimeProvider } = require('@cdktf/provider-time/lib/provider');",
    ...imports,
    'const app = new App({ outdir: process.env.CDKTF_OUTDIR });',
    ...body,
    'app.synth();',
  ].join('\n');
  fs.writeFileSync(file, src);
}

module.exports = { generate };
