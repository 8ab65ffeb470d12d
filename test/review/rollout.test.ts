/**
 * A release and a traffic move for the same slot in one change are blocked: `terraform apply`
 * returns when the scale set's model is updated and Azure rolls the VMs afterwards, so the traffic
 * would reach VMs still on the old model. Each in its own change passes.
 */
import { reviewOutputs } from '../../lib/review/compare';
import { exampleSpec } from '../helpers';
import { History, changed } from '../lifecycle/harness';

let history: History;
beforeEach(() => (history = new History()));
afterEach(() => history.cleanUp());

const GREEN = 'retail-svc-pricing:azurerm_linux_virtual_machine_scale_set.green_scale-set_vmss';
const rollout = (r: ReturnType<typeof reviewOutputs>) => r.blockers.filter((b) => /terraform apply returns when the model is updated/.test(b.reason));

test('a release to the idle slot and a ramp to it in one change: blocked, naming the slot, the version and the share', () => {
  const base = history.ok(exampleSpec());
  const r = reviewOutputs(base, history.ok(changed((s) => ((s.services[0].slots.green.version = '2024.11.5'), (s.services[0].traffic = { live: 'blue', weight: 10 })))));
  expect(r.exitCode).toBe(1);
  expect(rollout(r).map((b) => b.resource)).toEqual([GREEN]);
  expect(rollout(r)[0].reason).toMatch(/^releases 2024\.11\.5 to the green slot and raises its share of pricing's requests from 0 % to 10 % in the same change/);
  expect(rollout(r)[0].source).toMatch(/#10673/);
  expect(r.markdown).toContain(`\`${GREEN}\``);
});

test('the same two steps as two changes: nothing blocks either', () => {
  const base = history.ok(exampleSpec());
  const released = history.ok(changed((s) => (s.services[0].slots.green.version = '2024.11.5')));
  const first = reviewOutputs(base, released);
  expect(rollout(first)).toEqual([]);
  expect(first.exitCode).toBe(0);
  const ramped = history.ok(changed((s) => ((s.services[0].slots.green.version = '2024.11.5'), (s.services[0].traffic = { live: 'blue', weight: 10 }))));
  const second = reviewOutputs(released, ramped);
  expect(rollout(second)).toEqual([]);
  expect(second.exitCode).toBe(0);
});

test('a resize (both slots change) with a swap: only the slot that gains traffic is blocked', () => {
  const base = history.ok(exampleSpec());
  const r = reviewOutputs(base, history.ok(changed((s) => ((s.services[0].vmSize = 'Standard_D4as_v5'), (s.services[0].traffic = { live: 'green' })))));
  expect(rollout(r).map((b) => b.resource)).toEqual([GREEN]);
  expect(rollout(r)[0].reason).toMatch(/^changes the green slot's scale set and raises its share of pricing's requests from 0 % to 100 %/);
});

test('a pin rule to a slot released in the same change is blocked too; an allowance reports it without blocking', () => {
  const base = history.ok(exampleSpec());
  const after = history.ok(changed((s) => ((s.services[0].slots.green.version = '2024.11.5'), (s.services[0].traffic = { live: 'blue', rules: [{ name: 'testers', header: { name: 'x-tester', value: '1' }, slot: 'green' }] }))));
  const r = reviewOutputs(base, after);
  expect(rollout(r).map((b) => b.reason.split(' in the same change')[0])).toEqual(["releases 2024.11.5 to the green slot and pins requests of pricing to it"]);
  const allowed = reviewOutputs(base, after, { allow: [{ resource: GREEN, by: 'reviewer' }] });
  expect(rollout(allowed)[0].allowed).toBe(true);
  expect(allowed.exitCode).toBe(0);
});
