/**
 * Rules of the ports concern: each service's planned ports (from its block or port, one per
 * instance on a VM) inside the port range and clear of reserved ports, instance-input frontend
 * ranges and internal or management ports clear of them and of each other, and planned ports
 * unique across the environment.
 */
import { PORT_MAX, RESERVED_PORTS, VM_HEALTH_PORT } from '../constants';
import { peakInstances } from '../capacity';
import { portsOf } from '../port-plan';
import { collect, under, type Findings, type SpecView } from './view';

interface Planned {
  readonly index: number;
  readonly name: string;
  readonly first: number;
  readonly last: number;
  readonly explicit: boolean;
}

/** Each service's ports on its own, and planned ports unique in the environment. */
export function validatePorts(view: SpecView): Findings {
  return collect((add) => {
    const planned: Planned[] = [];
    for (const { index, s } of view.services) {
      if (s.block === undefined || s.instancesPerVm === undefined) continue;
      const at = under('services', index);
      const ep = s.endpoints;
      const p = portsOf({ block: s.block, port: s.port, instancesPerVm: s.instancesPerVm });
      const field = s.port !== undefined ? at('port') : at('block');
      if (p.last > PORT_MAX) {
        add(field, {
          code: 'too_big',
          message: `${s.instancesPerVm} instances from port ${p.first} end at ${p.last}, above ${PORT_MAX}`,
          value: s.port ?? s.block,
          hint: s.port !== undefined ? 'lower port' : 'set port explicitly',
        });
      } else {
        for (const [reserved, what] of Object.entries(RESERVED_PORTS)) {
          const r = Number(reserved);
          if (r >= p.first && r <= p.last) add(field, { code: 'collision', message: `ports ${p.first}-${p.last} include ${r}, reserved for ${what}`, value: s.port ?? s.block });
        }
        planned.push({ index, name: s.name ?? `services[${index}]`, first: p.first, last: p.last, explicit: s.port !== undefined });
      }
      const compute = s.pool !== undefined ? view.poolByName.get(s.pool) : s;
      if (ep && compute?.capacity && compute.upgrade) {
        // a frontend range per instance-input endpoint: one port per VM the slot can hold
        const span = peakInstances(compute.capacity, compute.upgrade);
        const ranges = ep.instanceInput.map((e, i) => ({ i, name: e.name, first: e.frontendPortStart, last: e.frontendPortStart + span - 1 }));
        for (const r of ranges) {
          const path = at('endpoints', 'instanceInput', r.i, 'frontendPortStart');
          if (r.last > PORT_MAX) add(path, { code: 'too_big', message: `${span} instances from port ${r.first} end at ${r.last}, above ${PORT_MAX}`, value: r.first });
          if (r.first <= p.last && p.first <= r.last) {
            add(path, { code: 'collision', message: `frontend ports ${r.first}-${r.last} overlap the load-balancing rules' ports ${p.first}-${p.last}`, value: r.first, hint: `start at ${p.last + 1} or later` });
          }
          for (const o of ranges) {
            if (o.i < r.i && r.first <= o.last && o.first <= r.last) {
              add(path, { code: 'collision', message: `frontend ports ${r.first}-${r.last} overlap instanceInput[${o.i}] ('${o.name}') ${o.first}-${o.last}`, value: r.first });
            }
          }
        }
      }
      if (ep) {
        const seen = new Map<string, string>();
        for (const kind of ['internal', 'management'] as const) {
          ep[kind].forEach((e, i) => {
            const path = at('endpoints', kind, i, 'port');
            if (e.port >= p.first && e.port <= p.last) add(path, { code: 'collision', message: `port ${e.port} is one of the service's planned ports ${p.first}-${p.last}`, value: e.port });
            if (e.port === VM_HEALTH_PORT) add(path, { code: 'collision', message: `port ${e.port} is reserved for ${RESERVED_PORTS[VM_HEALTH_PORT]}`, value: e.port });
            const key = `${e.protocol}/${e.port}`;
            const prev = seen.get(key);
            if (prev) add(path, { code: 'collision', message: `${e.protocol} port ${e.port} is also ${prev}`, value: e.port });
            else seen.set(key, `endpoints.${kind}[${i}]`);
          });
        }
      }
    }
    // planned ports are unique in the environment: a service may later share a node pool, and a
    // port then names one service in logs, NSG rules and the front's upstreams
    const byFirst = [...planned].sort((a, b) => a.first - b.first || a.index - b.index);
    // one issue per service (its first overlap): n copies of one service give n issues, not n²
    const collided = new Set<number>();
    for (let i = 0; i < byFirst.length; i++) {
      for (let j = i + 1; j < byFirst.length && byFirst[j].first <= byFirst[i].last; j++) {
        const [a, b] = [byFirst[i], byFirst[j]];
        // report at the service whose explicit port caused it, else at the one listed later
        const [victim, other] = b.explicit && !a.explicit ? [b, a] : a.explicit && !b.explicit ? [a, b] : a.index > b.index ? [a, b] : [b, a];
        if (collided.has(victim.index)) continue;
        collided.add(victim.index);
        add(['services', victim.index, victim.explicit ? 'port' : 'block'], {
          code: 'collision',
          message: `planned ports ${victim.first}-${victim.last} overlap ${other.name}'s ${other.first}-${other.last} (services[${other.index}])`,
          hint: 'each service needs its own ports; remove port to use the block default, or pick a free range',
        });
      }
    }
  });
}
