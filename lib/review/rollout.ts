/**
 * A release and a traffic move in one change: blocked.
 *
 * In `Rolling` mode `terraform apply` returns once the scale set's model is updated; Azure rolls
 * the VMs onto it afterwards, batch by batch, and may stop the rollout on its health policy
 * (azurerm v4.55.0 `virtual_machine_scale_set_update.go`: the update PATCHes the model and, in
 * Rolling mode, does not wait for the instances; provider issues #10673 and #7002). A change that
 * both updates a slot's scale set (a release, a VM size, an image) and gives that slot more
 * traffic therefore sends requests to VMs still on the old model, or to a rollout that stopped.
 * The safe order is two changes: release to the slot, check its rollout completed, then move
 * traffic. Pure: reads the stack diff and the review summaries.
 */
import type { StackDiff, SynthOutput } from './config-diff';
import type { ServiceSummary } from './summary';
import { SLOT_NAMES, type SlotName } from '../spec/schema';

const SCALE_SET_TYPES = ['azurerm_linux_virtual_machine_scale_set', 'azurerm_orchestrated_virtual_machine_scale_set'];

export const ROLLOUT_SOURCE =
  'azurerm v4.55.0 virtual_machine_scale_set_update.go (Rolling mode: the model is updated, the instances roll after apply returns); provider issues #10673, #7002; Azure: a stopped rolling upgrade resumes only on the next model change';

/** The share of a service's requests a slot serves, and whether a rule pins requests to it. */
export function exposure(s: ServiceSummary | undefined, slot: SlotName): { share: number; pinned: boolean } {
  if (!s || s.retired || !s.viaFront) return { share: 0, pinned: false };
  const t = s.traffic;
  return { share: slot === t.live ? 100 - t.weight : t.weight, pinned: t.rules.some((r) => r.slot === slot) };
}

/** A blocker per slot whose scale set changes in the same change that gives it more traffic. */
export function rolloutBlockers(stacks: readonly StackDiff[], before: SynthOutput, after: SynthOutput): Array<{ resource: string; reason: string; source: string }> {
  const out: Array<{ resource: string; reason: string; source: string }> = [];
  for (const [envName, a] of Object.entries(after.summaries)) {
    const b = before.summaries[envName];
    if (!b) continue;
    for (const [service, now] of Object.entries(a.services)) {
      const was = b.services[service];
      if (!was) continue;
      const stackName = `${envName}-${now.placement}`;
      const diff = stacks.find((s) => s.stack === stackName);
      if (!diff) continue;
      for (const slot of SLOT_NAMES) {
        const vmss = diff.resources.find((r) => SCALE_SET_TYPES.includes(r.type) && r.address.endsWith(`.${slot}_scale-set_vmss`) && (r.action === 'replace' || (r.action === 'update' && r.changes.some((c) => !c.ignored))));
        // an OS patch: the configuration's version is the same reference, the value it reads moves
        // at apply (the pinned version is replaced: lib/compute/scale-set.ts)
        const pin = diff.resources.find((r) => r.type === 'terraform_data' && r.address === `terraform_data.${slot}_scale-set_image-version` && r.action === 'replace');
        const resources = (after.stacks[stackName] as { resource?: Record<string, Record<string, unknown>> } | undefined)?.resource ?? {};
        const pinnedType = SCALE_SET_TYPES.find((t) => resources[t]?.[`${slot}_scale-set_vmss`] !== undefined) ?? SCALE_SET_TYPES[0];
        const changed = vmss ?? (pin ? { address: `${pinnedType}.${slot}_scale-set_vmss` } : undefined);
        if (!changed) continue;
        const e0 = exposure(was, slot);
        const e1 = exposure(now, slot);
        const more = e1.share > e0.share || (e1.pinned && !e0.pinned);
        if (!more) continue;
        const release =
          was.slots[slot].version !== now.slots[slot].version
            ? `releases ${now.slots[slot].version} to the ${slot} slot`
            : !vmss && pin
              ? `patches the ${slot} slot's OS (osPatch ${now.slots[slot].osPatch ?? 'removed'}: its scale set moves to a new image version)`
              : `changes the ${slot} slot's scale set`;
        const gain = e1.share > e0.share ? `raises its share of ${service}'s requests from ${e0.share} % to ${e1.share} %` : `pins requests of ${service} to it`;
        out.push({
          resource: `${stackName}:${changed.address}`,
          reason: `${release} and ${gain} in the same change: terraform apply returns when the model is updated, and Azure rolls the VMs afterwards, so requests would reach VMs still on the old model (or a rollout that stopped on its health policy). Release in one change, check the rollout finished (az vmss rolling-upgrade get-latest shows Completed), then move traffic in the next`,
          source: ROLLOUT_SOURCE,
        });
      }
    }
  }
  return out.sort((x, y) => x.resource.localeCompare(y.resource, 'en'));
}
