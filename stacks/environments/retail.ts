/**
 * The example environment, modelled on the seeds: a retailer's pricing service (seed 000: elastic,
 * VNet-only, two slots behind nginx), order processing and the product catalog.
 */
import { defineEnvironment } from '../../lib/spec/schema';

export default defineEnvironment({
  name: 'retail',
  subscriptionId: '6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10',
  tenantId: '0b5d4a3e-2c1f-4e8d-9b7a-6f5e4d3c2b1a',
  region: 'westeurope',
  tags: { owner: 'platform-team', 'cost-center': 'cc-4411' },
  requiredTags: ['owner', 'cost-center'],
  network: {
    addressSpace: '10.20.0.0/16',
    peerRanges: ['10.50.0.0/16'],
    adminRanges: ['10.99.0.0/24'],
  },
  services: [
    {
      name: 'pricing',
      block: 1,
      vmSize: 'Standard_D4s_v5',
      capacity: { min: 3, default: 4, max: 20 },
      instancesPerVm: 4,
      slots: { blue: { version: '2024.11.3' }, green: { version: '2024.11.4' } },
      traffic: { live: 'blue' },
      endpoints: { input: { from: ['front'] }, management: [{ name: 'ssh', port: 22 }] },
    },
    {
      name: 'order-processing',
      block: 2,
      vmSize: 'Standard_D2s_v5',
      capacity: { min: 2, default: 3, max: 10 },
      instancesPerVm: 2,
      slots: { blue: { version: '3.8.0' }, green: { version: '3.8.0' } },
      traffic: { live: 'green' },
      endpoints: { internal: [{ name: 'gossip', port: 7946 }] },
    },
    {
      name: 'catalog',
      block: 3,
      vmSize: 'Standard_E4s_v5',
      capacity: { min: 2, default: 2, max: 8 },
      slots: { blue: { version: '1.12.0' }, green: { version: '1.13.0-rc1' } },
      traffic: { live: 'blue' },
      endpoints: { input: { from: ['front', 'peers'] } },
    },
  ],
});
