/**
 * Azure public regions this library knows, and whether each offers availability zones.
 * Source: Azure's "regions with availability zones" list (2025). A region not listed here is
 * refused at synth with the closest known name suggested; add it here (one line) when Azure adds one.
 */
export const AZURE_REGIONS: Readonly<Record<string, { readonly zones: boolean }>> = {
  australiacentral: { zones: false },
  australiacentral2: { zones: false },
  australiaeast: { zones: true },
  australiasoutheast: { zones: false },
  austriaeast: { zones: true },
  belgiumcentral: { zones: true },
  brazilsouth: { zones: true },
  brazilsoutheast: { zones: false },
  canadacentral: { zones: true },
  canadaeast: { zones: false },
  centralindia: { zones: true },
  centralus: { zones: true },
  chilecentral: { zones: true },
  eastasia: { zones: true },
  eastus: { zones: true },
  eastus2: { zones: true },
  francecentral: { zones: true },
  francesouth: { zones: false },
  germanynorth: { zones: false },
  germanywestcentral: { zones: true },
  indonesiacentral: { zones: true },
  israelcentral: { zones: true },
  italynorth: { zones: true },
  japaneast: { zones: true },
  japanwest: { zones: true },
  koreacentral: { zones: true },
  koreasouth: { zones: false },
  malaysiawest: { zones: true },
  mexicocentral: { zones: true },
  newzealandnorth: { zones: true },
  northcentralus: { zones: false },
  northeurope: { zones: true },
  norwayeast: { zones: true },
  norwaywest: { zones: false },
  polandcentral: { zones: true },
  qatarcentral: { zones: true },
  southafricanorth: { zones: true },
  southafricawest: { zones: false },
  southcentralus: { zones: true },
  southeastasia: { zones: true },
  southindia: { zones: false },
  spaincentral: { zones: true },
  swedencentral: { zones: true },
  switzerlandnorth: { zones: true },
  switzerlandwest: { zones: false },
  uaecentral: { zones: false },
  uaenorth: { zones: true },
  uksouth: { zones: true },
  ukwest: { zones: false },
  westcentralus: { zones: false },
  westeurope: { zones: true },
  westindia: { zones: false },
  westus: { zones: false },
  westus2: { zones: true },
  westus3: { zones: true },
};

export const REGION_NAMES: readonly string[] = Object.keys(AZURE_REGIONS);

/** Zones a zonal resource may use in a region: ['1','2','3'], or none where the region has none. */
export function zonesOf(region: string): readonly string[] {
  return AZURE_REGIONS[region]?.zones ? ['1', '2', '3'] : [];
}
