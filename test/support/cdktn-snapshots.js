// The cdktn run's snapshot serializer (jest.cdktn.config.js): a synthesized stack whose two
// version strings are CDK Terrain's (the runtime that wrote it, 0.24.0; the azurerm it pins,
// 4.73.0) is compared with its cdktf snapshot as if they were cdktf's (0.21.0, 4.55.0). These two
// are the only differences docs/runtimes.md lists; every other byte must match the snapshot.
'use strict';
const TN = { runtime: '0.24.0', azurerm: '4.73.0' };
const TF = { runtime: '0.21.0', azurerm: '4.55.0' };

const isCdktnStack = (v) =>
  v !== null && typeof v === 'object' && !Array.isArray(v) && v['//']?.metadata?.version === TN.runtime && v.terraform?.required_providers?.azurerm?.version === TN.azurerm;

module.exports = {
  test: isCdktnStack,
  serialize(val, config, indentation, depth, refs, printer) {
    const copy = structuredClone(val);
    copy['//'].metadata.version = TF.runtime;
    copy.terraform.required_providers.azurerm.version = TF.azurerm;
    return printer(copy, config, indentation, depth, refs);
  },
};
