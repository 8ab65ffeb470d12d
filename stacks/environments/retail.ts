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
  admin: { sshPublicKeys: ['ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBq3mVn5uYw3Zg6c8Yt0cXo7fJ9Q2pWz0k4m1x7Hn2aE platform-team'] },
  quotas: { standardDSv5Family: 300, standardESv5Family: 100 },
  // the CI identity that runs Terraform, and the ranges its runners connect from
  deployer: { principalId: '3c9e1f0a-7b2d-4e6f-8a1c-5d4b3a2f1e0d', ipRanges: ['203.0.113.0/28'] },
  keyVault: {
    softDeleteRetentionDays: 90,
    // the front's TLS certificate: self-signed, renewed by Key Vault 30 days before expiry
    certificates: [{ name: 'front-tls', subject: 'CN=retail.internal', dnsNames: ['retail.internal', '*.retail.internal'] }],
    contacts: ['platform-team@retail.invalid'],
  },
  // callers reach every service through the front's one address, over HTTPS with the vault's certificate
  front: { tlsCertificate: 'front-tls' },
  artifactStore: { storageAccountId: '/subscriptions/6f1c2f59-8d54-4a7e-9a41-3c2d0b7e5a10/resourceGroups/rg-releases/providers/Microsoft.Storage/storageAccounts/stretailreleases' },
  services: [
    {
      name: 'pricing',
      block: 1,
      vmSize: 'Standard_D4s_v5',
      capacity: { min: 3, default: 4, max: 20 },
      instancesPerVm: 4,
      slots: {
        blue: { version: '2024.11.3', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/pricing/2024.11.3.tar.gz', sha256: '78b2dca965848b5db72383bc3044aa59b3ad19fd92cf8699e2447bce687dda0c' } },
        green: { version: '2024.11.4', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/pricing/2024.11.4.tar.gz', sha256: 'bb1e4878326b0e30135588c67c0cefe3eb97afc35cae2d4f7d332d749d85a641' } },
      },
      // the front judges a ramp's new slot (and the new live one for 10 minutes after a swap) against the good one: docs/guard.md
      traffic: { live: 'blue', guard: {} },
      endpoints: { input: { from: ['front'] }, management: [{ name: 'ssh', port: 22 }] },
      // seed 000: prices follow the shopping day
      autoscale: { schedules: [{ name: 'business-hours', days: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday'], start: '08:00', end: '20:00', timeZone: 'Europe/Amsterdam', min: 6 }] },
      // the database password stays in the vault: the VMs fetch it when an instance starts (seed 003)
      settings: { PRICE_CACHE_SECONDS: '30', DB_PASSWORD: { secret: 'pricing-db-password' } },
    },
    {
      name: 'order-processing',
      block: 2,
      vmSize: 'Standard_D2s_v5',
      capacity: { min: 2, default: 3, max: 10 },
      instancesPerVm: 2,
      slots: {
        blue: { version: '3.8.0', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/order-processing/3.8.0.tar.gz', sha256: 'ae176e47b0a7fd13b2adc0141991651255a6a24e666b1d8150cc9917489905d4' } },
        green: { version: '3.8.0', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/order-processing/3.8.0.tar.gz', sha256: 'ae176e47b0a7fd13b2adc0141991651255a6a24e666b1d8150cc9917489905d4' } },
      },
      traffic: { live: 'green' },
      endpoints: { internal: [{ name: 'gossip', port: 7946 }] },
    },
    {
      name: 'catalog',
      block: 3,
      vmSize: 'Standard_E4s_v5',
      capacity: { min: 2, default: 2, max: 8 },
      slots: {
        blue: { version: '1.12.0', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/catalog/1.12.0.tar.gz', sha256: 'cfe3f6878cae173196f0aa656e201afe7d125efda7fa44e53b8dbf568549b5d4' } },
        green: { version: '1.13.0-rc1', artifact: { url: 'https://stretailreleases.blob.core.windows.net/releases/catalog/1.13.0-rc1.tar.gz', sha256: '3495d0e9688576cb74ff0c3dd0b39eee0862c76a60475052cdf39ce71f9b875b' } },
      },
      traffic: { live: 'blue' },
      endpoints: { input: { from: ['front', 'peers'] } },
    },
  ],
});
