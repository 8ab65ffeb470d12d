/**
 * A loopback stand-in for IMDS's Scheduled Events (`/metadata/scheduledevents`, the document shape
 * of api-version 2020-07-01) and `compute/name`, and a runner for the drain agent
 * (lib/compute/vm/drain.py) against it. It refuses requests without `Metadata: true`, as IMDS does,
 * and records every approval (POST) with the time it arrived.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { vmProgram } from './vm-programs';

export interface ScheduledEvent {
  EventId: string;
  EventType: 'Terminate' | 'Preempt' | 'Reboot' | 'Redeploy' | 'Freeze';
  ResourceType: 'VirtualMachine';
  Resources: string[];
  EventStatus: 'Scheduled' | 'Started';
  NotBefore: string;
  Description: string;
  EventSource: 'Platform' | 'User';
  DurationInSeconds: number;
}

export interface Approval {
  readonly body: string;
  readonly at: number;
}

export interface StubImds {
  readonly url: string;
  /** GETs of the events document so far. */
  gets(): number;
  readonly approvals: Approval[];
  /** Serve these events from now on, with the next DocumentIncarnation (or the same one). */
  setEvents(events: ScheduledEvent[], opts?: { sameIncarnation?: boolean }): void;
  close(): Promise<void>;
}

/** NotBefore as IMDS writes it (RFC 1123, GMT), `seconds` from now, on a whole second. */
export const notBefore = (seconds: number): { text: string; at: number } => {
  const at = Math.ceil(Date.now() / 1000) * 1000 + seconds * 1000;
  return { text: new Date(at).toUTCString(), at };
};

export function event(id: string, type: ScheduledEvent['EventType'], resources: string[], seconds = 300): ScheduledEvent {
  return { EventId: id, EventType: type, ResourceType: 'VirtualMachine', Resources: resources, EventStatus: 'Scheduled', NotBefore: notBefore(seconds).text, Description: '', EventSource: 'Platform', DurationInSeconds: -1 };
}

/** The Scheduled Events endpoints without a server of their own (also served by test/support/azure-stubs.ts's `extra`). */
export interface ScheduledEventsHandler extends Omit<StubImds, 'url' | 'close'> {
  /** Answers IMDS's Scheduled Events and compute/name requests (true); leaves any other (false). */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export function scheduledEvents(vmName: string): ScheduledEventsHandler {
  let incarnation = 1;
  let events: ScheduledEvent[] = [];
  let gets = 0;
  const approvals: Approval[] = [];
  const ours = (url: string) => url.startsWith('/metadata/scheduledevents') || url.startsWith('/metadata/instance/compute/name');
  return {
    handle(req, res) {
      if (!ours(req.url ?? '')) return false;
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        if (req.headers.metadata !== 'true') { res.writeHead(400); res.end('Bad request: Metadata header'); return; }
        const url = req.url ?? '';
        if (url === '/metadata/instance/compute/name?api-version=2021-02-01&format=text') { res.end(vmName); return; }
        if (url === '/metadata/scheduledevents?api-version=2020-07-01') {
          if (req.method === 'POST') {
            approvals.push({ body, at: Date.now() });
            res.end();
            return;
          }
          gets++;
          res.setHeader('Content-Type', 'application/json');
          res.end(JSON.stringify({ DocumentIncarnation: incarnation, Events: events }));
          return;
        }
        res.writeHead(404);
        res.end();
      });
      return true;
    },
    gets: () => gets,
    approvals,
    setEvents(next, opts = {}) {
      events = next;
      if (!opts.sameIncarnation) incarnation++;
    },
  };
}

export async function startImds(vmName: string): Promise<StubImds> {
  const handler = scheduledEvents(vmName);
  const server: Server = createServer((req, res) => {
    if (!handler.handle(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    gets: handler.gets,
    approvals: handler.approvals,
    setEvents: handler.setEvents,
    close: () => new Promise((r) => { server.close(() => r()); server.closeAllConnections(); }),
  };
}

export async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface RunningDrain {
  readonly child: ChildProcess;
  /** What it wrote to stderr so far. */
  log(): string;
  /** Its state file (`{}` before it wrote one). */
  state(): Record<string, any>;
  stop(): Promise<void>;
}

/** Runs `drain.py watch` with this config against the stub. */
export function startDrain(dir: string, config: Record<string, unknown>, imds: StubImds, env: Record<string, string> = {}): RunningDrain {
  const configPath = join(dir, 'drain-config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const child = spawn('python3', [vmProgram('service', 'drain.py'), 'watch'], { env: { ...process.env, DRAIN_CONFIG: configPath, IMDS_ENDPOINT: imds.url, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c) => (log += c));
  const stateFile = String(config.stateFile);
  return {
    child,
    log: () => log,
    state: () => { try { return JSON.parse(readFileSync(stateFile, 'utf8')); } catch { return {}; } },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A stand-in for `iptables` (IPTABLES=): it records every call in $IPT_LOG and keeps the rules, one a line, in $IPT_RULES. */
export const FAKE_IPTABLES = [
  '#!/bin/sh',
  '# records every call in $IPT_LOG; keeps the rules, one a line, in $IPT_RULES',
  'echo "$*" >> "$IPT_LOG"',
  'op=$1; shift',
  'touch "$IPT_RULES"',
  'case $op in',
  '  -C) grep -qxF -- "$*" "$IPT_RULES" ;;',
  '  -I) echo "$*" >> "$IPT_RULES" ;;',
  '  -D) grep -vxF -- "$*" "$IPT_RULES" > "$IPT_RULES.tmp"; mv "$IPT_RULES.tmp" "$IPT_RULES" ;;',
  'esac',
  '',
].join('\n');
