import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CANNOT_UPDATE, FORCE_NEW, FORCE_NEW_CONDITIONS } from '../../lib/review/force-new';
import { cannotUpdate, forcesReplacement } from '../../lib/review/replacement';
import { RESOURCE_TYPES, parseResourceDoc, tableOf } from '../../scripts/force-new-from-docs';

const LINUX_VMSS = 'azurerm_linux_virtual_machine_scale_set';
const FLEX_VMSS = 'azurerm_orchestrated_virtual_machine_scale_set';
const KEY_VAULT = 'azurerm_key_vault';

describe('the force-new table (azurerm v4.55.0 docs)', () => {
  test('has an entry for every resource type the library emits, and no other', () => {
    expect(Object.keys(FORCE_NEW).sort()).toEqual([...RESOURCE_TYPES].sort());
    for (const type of RESOURCE_TYPES) expect(FORCE_NEW[type]).toEqual(expect.any(Array));
  });

  test('lists each type’s paths sorted and once', () => {
    for (const paths of Object.values(FORCE_NEW)) expect([...new Set(paths)].sort()).toEqual(paths);
  });

  test('conditional paths are force-new paths too; cannot-update paths are not', () => {
    for (const [type, byPath] of Object.entries(FORCE_NEW_CONDITIONS)) for (const p of Object.keys(byPath)) expect(FORCE_NEW[type]).toContain(p);
    for (const [type, byPath] of Object.entries(CANNOT_UPDATE)) for (const p of Object.keys(byPath)) expect(FORCE_NEW[type]).not.toContain(p);
  });

  test.each([LINUX_VMSS, FLEX_VMSS])('%s is replaced when the rolling upgrade policy, zone balance or fault domain count changes', (type) => {
    expect(FORCE_NEW[type]).toEqual(expect.arrayContaining(['rolling_upgrade_policy', 'zone_balance', 'platform_fault_domain_count']));
    expect(forcesReplacement(type, ['zone_balance'])).toBe(true);
    expect(forcesReplacement(type, ['platform_fault_domain_count'])).toBe(true);
    expect(forcesReplacement(type, ['rolling_upgrade_policy'])).toBe(true);
  });

  test('a nested rolling-upgrade attribute replaces the scale set, through its block, with or without the list index', () => {
    expect(FORCE_NEW[LINUX_VMSS]).not.toContain('rolling_upgrade_policy.max_batch_instance_percent');
    expect(forcesReplacement(LINUX_VMSS, ['rolling_upgrade_policy', 0, 'max_batch_instance_percent'])).toBe(true);
    expect(forcesReplacement(LINUX_VMSS, ['rolling_upgrade_policy', 'max_batch_instance_percent'])).toBe(true);
    expect(forcesReplacement(LINUX_VMSS, ['rolling_upgrade_policy', '0', 'max_batch_instance_percent'])).toBe(true);
  });

  test('a nested attribute documented as force-new replaces the scale set; its siblings do not', () => {
    expect(forcesReplacement(LINUX_VMSS, ['os_disk', 0, 'storage_account_type'])).toBe(true);
    expect(forcesReplacement(LINUX_VMSS, ['os_disk', 0, 'caching'])).toBe(false);
    expect(forcesReplacement(LINUX_VMSS, ['os_disk', 0, 'diff_disk_settings', 0, 'option'])).toBe(true);
    expect(forcesReplacement(LINUX_VMSS, ['source_image_reference', 'offer'])).toBe(true);
    expect(forcesReplacement(LINUX_VMSS, ['source_image_reference', 'version'])).toBe(false);
    expect(forcesReplacement(FLEX_VMSS, ['os_profile', 0, 'linux_configuration', 0, 'admin_username'])).toBe(true);
    expect(forcesReplacement(FLEX_VMSS, ['os_profile', 0, 'linux_configuration', 0, 'admin_ssh_key', 0, 'public_key'])).toBe(false);
  });

  test('the scale set’s SKU, instance count, tags and custom data change in place', () => {
    // the docs: `sku` "The Virtual Machine SKU for the Scale Set", `instances` "Defaults to `0`": no force-new sentence
    for (const attr of ['sku', 'instances', 'tags', 'custom_data']) expect(forcesReplacement(LINUX_VMSS, [attr])).toBe(false);
    expect(forcesReplacement(FLEX_VMSS, ['sku_name'])).toBe(false);
    expect(forcesReplacement(FLEX_VMSS, ['instances'])).toBe(false);
  });

  test('zones force a new scale set only when a zone is removed, and the table says so', () => {
    expect(forcesReplacement(LINUX_VMSS, ['zones'])).toBe(true);
    expect(FORCE_NEW_CONDITIONS[LINUX_VMSS]?.zones).toMatch(/remove an existing zone/);
  });

  test('the key vault is replaced when its name, location or resource group changes', () => {
    expect(FORCE_NEW[KEY_VAULT]).toEqual(['location', 'name', 'resource_group_name']);
    expect(forcesReplacement(KEY_VAULT, ['name'])).toBe(true);
  });

  test('the key vault’s soft-delete retention cannot be updated, but the docs do not say it forces a new vault', () => {
    // "This field can only be configured one time and cannot be updated." The plan shows an
    // in-place update; the apply fails.
    expect(forcesReplacement(KEY_VAULT, ['soft_delete_retention_days'])).toBe(false);
    expect(cannotUpdate(KEY_VAULT, ['soft_delete_retention_days'])).toBe('This field can only be configured one time and cannot be updated.');
  });

  test('the key vault’s purge protection, SKU, tenant, network rules and tags change in place', () => {
    for (const attr of ['purge_protection_enabled', 'sku_name', 'tenant_id', 'tags', 'public_network_access_enabled']) {
      expect(forcesReplacement(KEY_VAULT, [attr])).toBe(false);
    }
    expect(forcesReplacement(KEY_VAULT, ['network_acls', 0, 'ip_rules'])).toBe(false);
    expect(cannotUpdate(KEY_VAULT, ['purge_protection_enabled'])).toMatch(/not possible to Disable it/);
    expect(cannotUpdate(KEY_VAULT, ['sku_name'])).toBeUndefined();
  });

  test('a type outside the table forces nothing', () => {
    expect(forcesReplacement('azurerm_windows_virtual_machine_scale_set', ['name'])).toBe(false);
    expect(cannotUpdate('azurerm_windows_virtual_machine_scale_set', ['name'])).toBeUndefined();
  });

  test('the header names the docs’ tag and the generator', () => {
    const text = readFileSync(join(__dirname, '..', '..', 'lib', 'review', 'force-new.ts'), 'utf8');
    expect(text).toMatch(/tag v4\.55\.0 \(commit [0-9a-f]{40}\)/);
    expect(text).toMatch(/GENERATED by scripts\/force-new-from-docs\.ts/);
  });
});

const FIXTURE = `---
subcategory: "Widgets"
description: |-
  Manages a Widget. Changing this forces a new resource to be created.
---

# azurerm_widget

Changing this forces a new resource to be created (prose before the arguments is not read).

## Arguments Reference

The following arguments are supported:

* \`name\` - (Required) The name. Changing this forces a new resource to be created.

* \`location\` - (Required) The region. Changing this forces a new Widget to be created.

* \`priority\` - (Optional) The priority. Defaults to \`Regular\`. Changing this value forces a new resource.

* \`sku\` - (Required) The SKU, such as \`Standard_F2\`.

* \`kind\` - (Optional) The kind.

-> **Note:** Changing the \`kind\` value from \`A\` to \`B\` will not trigger a force new on the widget.

* \`replication\` - (Required) The replication. Changing this forces a new resource to be created when \`LRS\` is changed to \`ZRS\`.

* \`mode\` - (Optional) The mode. Changing \`size\` forces a new resource to be created.

* \`size\` - (Optional) The size,
  on two lines.

* \`zones\` - (Optional) The zones.

-> **Note:** Updating \`zones\` to remove an existing zone forces a new Widget to be created.

* \`old_parent\` - (Optional) Deprecated.

~> **Note:** Migrating from \`old_parent\` to \`parent_id\` is supported without recreation. Any other change to either property will result in the resource being recreated.

* \`parent_id\` - (Optional) The parent.

* \`retention_days\` - (Optional) The retention.

~> **Note:** This field can only be configured one time and cannot be updated.

* \`policy\` - (Optional) A \`policy\` block as defined below. Changing this forces a new resource to be created.

* \`profile\` - (Optional) A \`profile\` block as defined below.

* \`rule\` - (Optional) [A list](/docs/attr-as-blocks.html) of \`rule\` objects, as described below.

---

A \`policy\` block supports the following:

* \`batch_percent\` - (Required) The batch size.

---

An \`profile\` block supports the following:

* \`admin_username\` - (Required) The admin. Changing this forces a new resource to be created.

* \`disk\` - (Optional) A \`disk\` block as defined below.

* \`secret\` - (Optional) One or more \`secret\` blocks as defined below.

---

The \`disk\` block supports:

* \`type\` - (Required) The type. Possible values are:

    * \`Standard\` - cheap. Changing this forces a new resource to be created.

* \`caching\` - (Optional) The caching.

---

A \`rule\` block support:

* \`port\` - (Required) The port. Changing this forces a new resource to be created.

---

A (Linux) \`secret\` block supports the following:

* \`url\` - (Required) The URL. Changing this forces a new resource to be created.

---

## Attributes Reference

* \`id\` - The ID. Changing this forces a new resource to be created.

A \`profile\` block exports the following:

* \`principal_id\` - The principal. Changing this forces a new resource to be created.
`;

describe('parseResourceDoc', () => {
  const doc = parseResourceDoc(FIXTURE);
  const table = tableOf(doc);

  test('reads every phrasing of "forces a new" in the arguments, top level and nested, and nothing else', () => {
    expect(doc.warnings).toEqual([]);
    expect(table.forceNew).toEqual([
      'location',
      'name',
      'old_parent',
      'parent_id',
      'policy',
      'priority',
      'profile.admin_username',
      'profile.disk.type',
      'profile.secret.url',
      'replication',
      'rule.port',
      'size',
      'zones',
    ]);
  });

  test('a block whose change as a whole forces a new resource is listed as the block', () => {
    expect(table.forceNew).toContain('policy');
    expect(table.forceNew).not.toContain('policy.batch_percent');
  });

  test('"Changing `x` forces …" in another argument’s description is x’s', () => {
    expect(table.forceNew).toContain('size');
    expect(table.forceNew).not.toContain('mode');
  });

  test('a negated note forces nothing', () => {
    expect(table.forceNew).not.toContain('kind');
  });

  test('conditions are kept with their sentence; a note that leans on its first sentence keeps both', () => {
    expect(table.conditions).toEqual({
      replication: 'Changing this forces a new resource to be created when `LRS` is changed to `ZRS`.',
      zones: 'Updating `zones` to remove an existing zone forces a new Widget to be created.',
      old_parent:
        'Migrating from `old_parent` to `parent_id` is supported without recreation. Any other change to either property will result in the resource being recreated.',
      parent_id:
        'Migrating from `old_parent` to `parent_id` is supported without recreation. Any other change to either property will result in the resource being recreated.',
    });
  });

  test('"cannot be updated" is recorded apart from force-new', () => {
    expect(table.cannotUpdate).toEqual({ retention_days: 'This field can only be configured one time and cannot be updated.' });
    expect(table.forceNew).not.toContain('retention_days');
  });

  test('a block documented under no argument is placed at its own name, with a warning', () => {
    const orphan = parseResourceDoc(`## Arguments Reference\n\n* \`name\` - (Required) N.\n\n---\n\nA \`lost\` block supports the following:\n\n* \`x\` - (Required) X. Changing this forces a new resource to be created.\n`);
    expect(tableOf(orphan).forceNew).toEqual(['lost.x']);
    expect(orphan.warnings).toEqual([expect.stringMatching(/block `lost` is documented but no argument names it/)]);
  });

  test('a document without an arguments section yields nothing and says so', () => {
    const none = parseResourceDoc('# azurerm_thing\n\n* `name` - Changing this forces a new resource to be created.\n');
    expect(none.forceNew).toEqual([]);
    expect(none.warnings).toEqual(['no "## Arguments Reference" section']);
  });
});

describe('replacements the provider forces in code, not in its docs', () => {
  test("a load balancer frontend's zones (lb_resource.go CustomizeDiff ForceNewIf): a zone change replaces the address callers keep", () => {
    expect(forcesReplacement('azurerm_lb', ['frontend_ip_configuration', 0, 'zones'])).toBe(true);
    expect(forcesReplacement('azurerm_lb', ['frontend_ip_configuration', 0, 'private_ip_address'])).toBe(false);
  });
});
