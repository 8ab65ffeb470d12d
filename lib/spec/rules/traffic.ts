/**
 * Rules of the traffic concern: the traffic plan against the slots (pin rules well formed, every
 * slot that would receive requests able to carry them), and routes (each host name and path
 * prefix names one service).
 */
import { show } from '../issues';
import { defaultDomain } from '../names';
import { SLOT_NAMES } from '../schema';
import { busiestMinimum, instancesFor, slotLoads } from '../../slots/traffic';
import { collect, isRecord, rawItem, under, type Add, type At, type Findings, type FrontParts, type ParsedService, type PoolParts, type ServiceParts, type SpecView } from './view';

/** Each service's traffic plan. */
export function validateTraffic(view: SpecView): Findings {
  return collect((add) => {
    for (const { index, s } of view.services) {
      checkTraffic(add, under('services', index), s, rawItem(view, 'services', index), s.pool !== undefined ? view.poolByName.get(s.pool) : undefined);
    }
  });
}

/** Routes: a host name or path prefix names one service; the default host is '<service>.<domain>'. */
export function validateRoutes(view: SpecView): Findings {
  return collect((add) => checkRoutes(add, view.env.name, view.front, view.services));
}

/**
 * The traffic plan against the slots: pin rules well formed, and every slot that would receive
 * requests (live share, ramp weight, mirrored copies, pins, failover) able to carry them. A warm
 * slot autoscales like the live one, so only parked slots are checked: a parked slot must hold
 * the share of the service's busiest minimum it would receive.
 */
function checkTraffic(add: Add, at: At, s: ServiceParts, raw: unknown, pool: PoolParts | undefined) {
  // rules are checked as written, so their problems show even when another part of traffic is invalid
  const rawTraffic = isRecord(raw) && isRecord(raw.traffic) ? raw.traffic : {};
  const rawRules = Array.isArray(rawTraffic.rules) ? rawTraffic.rules : [];
  const seen = new Map<string, number>();
  rawRules.forEach((r: unknown, i) => {
    if (!isRecord(r)) return;
    const kinds = [r.header !== undefined && 'header', r.cookie !== undefined && 'cookie'].filter(Boolean);
    if (kinds.length !== 1) {
      if (kinds.length === 0) add(at('traffic', 'rules', i), { code: 'invalid_value', message: 'matches nothing: give it a header or a cookie' });
      else add(at('traffic', 'rules', i), { code: 'invalid_value', message: 'has both header and cookie; a rule matches one', hint: 'split it into two rules' });
    }
    if (typeof r.name !== 'string') return;
    const prev = seen.get(r.name);
    if (prev !== undefined) add(at('traffic', 'rules', i, 'name'), { code: 'duplicate', message: `${show(r.name)} is already rules[${prev}]'s name`, value: r.name });
    else seen.set(r.name, i);
  });
  const t = s.traffic;
  if (!t || !s.slots) return;
  if (t.guard && s.endpoints && !s.endpoints.input.from.includes('front')) {
    add(at('traffic', 'guard'), {
      code: 'invalid_value',
      message: `guards traffic the front never sees: ${s.name ?? 'this service'} is not reached through the front (endpoints.input.from)`,
      hint: "remove guard, or add 'front' to endpoints.input.from",
    });
  }
  for (const slot of SLOT_NAMES) {
    if (s.pool !== undefined && s.slots[slot].parked) {
      add(at('slots', slot, 'parked'), { code: 'invalid_value', message: `a service on a pool cannot park a slot: the pool's VMs are shared`, hint: 'remove parked; the pool keeps both slots warm' });
    }
  }
  const capacity = s.capacity ?? pool?.capacity;
  const schedules = (s.autoscale ?? pool?.autoscale)?.schedules ?? [];
  if (!capacity) return;
  const busiest = busiestMinimum(capacity, schedules);
  const loads = slotLoads(t);
  const name = s.name ?? 'this service';
  for (const slot of SLOT_NAMES) {
    const parked = s.slots[slot].parked;
    if (!parked || s.pool !== undefined) continue;
    const load = loads[slot];
    const share = load.served + load.mirrored;
    const needed = instancesFor(share, busiest);
    const where = slot === t.live ? at('traffic', 'live') : load.served > 0 ? at('traffic', 'weight') : at('traffic', 'mirror');
    const unpark = `warm it first (remove slots.${slot}.parked, a change to the service's stack), or park it at ${Math.max(needed, 1)} or more`;
    if (needed > parked.instances) {
      const parts = [load.served > 0 && `serves ${load.served}%`, load.mirrored > 0 && `receives ${load.mirrored}% as mirrored copies`].filter(Boolean).join(' and ');
      add(where, {
        code: 'does_not_fit',
        message: `${name}'s ${slot} slot ${parts} of the requests but is parked at ${parked.instances} instance(s); ${share}% of the busiest minimum (${busiest}) needs ${needed}`,
        hint: unpark,
      });
    }
    if (slot === t.live && load.served > 0 && parked.instances < 2 && needed <= parked.instances) {
      add(at('slots', slot, 'parked', 'instances'), {
        code: 'too_small',
        message: `${slot} is ${name}'s live slot: parked at ${parked.instances}, one zone or fault domain failing would leave it nothing`,
        value: parked.instances,
        hint: 'a live slot keeps at least 2 instances: park it at 2 or more, or warm it',
      });
    }
    if (parked.instances === 0) {
      t.rules.forEach((r, i) => {
        if (r.slot === slot) add(at('traffic', 'rules', i, 'slot'), { code: 'does_not_fit', message: `pins requests to ${slot}, which is parked at 0 instances`, value: slot, hint: unpark });
      });
      if (load.failoverTarget) {
        add(at('traffic', 'failover'), { code: 'does_not_fit', message: `fails over to ${slot}, which is parked at 0 instances: there would be no way back`, hint: `park ${slot} at 1 or more, or set failover: false` });
      }
    }
  }
}

/** Host names and path prefixes name one service each; the default host is '<service>.<domain>'. */
function checkRoutes(add: Add, envName: string | undefined, front: FrontParts, services: readonly ParsedService[]) {
  const domain = envName ? defaultDomain(envName, front) : front.domain;
  const hosts = new Map<string, string>();
  const prefixes = new Map<string, string>();
  for (const { index, s } of services) {
    const route = s.route;
    if (!route || !s.name) continue;
    if (route.pathPrefix !== undefined && route.hosts !== undefined) {
      add(['services', index, 'route'], { code: 'invalid_value', message: 'has both hosts and pathPrefix; a service is found by one', hint: 'keep one of them' });
    }
    if (route.pathPrefix !== undefined) {
      const prev = prefixes.get(route.pathPrefix);
      if (prev) add(['services', index, 'route', 'pathPrefix'], { code: 'duplicate', message: `${show(route.pathPrefix)} is already ${prev}'s`, value: route.pathPrefix });
      else prefixes.set(route.pathPrefix, s.name);
      continue;
    }
    const own = route.hosts ?? (domain ? [`${s.name}.${domain}`] : []);
    own.forEach((h, i) => {
      const prev = hosts.get(h);
      if (prev) add(['services', index, 'route', 'hosts', ...(route.hosts ? [i] : [])], { code: 'duplicate', message: `host ${show(h)} is already ${prev}'s`, value: h });
      else hosts.set(h, s.name!);
    });
  }
}

