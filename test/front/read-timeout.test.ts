/**
 * `route.readTimeoutSeconds` against the load balancers a request crosses: both reset a flow idle
 * for their idle timeout, so a read timeout at or above it cannot work and is refused, naming the
 * field; what the synth writes for both LBs is the bound the cap was derived from.
 */
import { formatIssue } from '../../lib/spec/issues';
import { LB_IDLE_TIMEOUT_SECONDS, READ_TIMEOUT_MAX_SECONDS } from '../../lib/spec/schema';
import { validateEnvironment } from '../../lib/spec/validate';
import { exampleSpec, resourcesOf, type Json, exampleStacks } from '../helpers';

describe('route.readTimeoutSeconds and the load balancers idle timeout', () => {
  test('a read timeout the load balancers would cut (3,600 s, 240 s) is refused with its path and why; all of them at once; 230 s is accepted', () => {
    const spec = exampleSpec() as Json;
    spec.services[0].route = { ...spec.services[0].route, readTimeoutSeconds: 3600 };
    spec.services[1].route = { ...spec.services[1].route, readTimeoutSeconds: 240 };
    const v = validateEnvironment(spec);
    expect(v.ok).toBe(false);
    const issues = v.ok ? [] : v.issues.filter((i) => i.path.endsWith('route.readTimeoutSeconds'));
    expect(issues.map((i) => i.path)).toEqual(['services[0].route.readTimeoutSeconds', 'services[1].route.readTimeoutSeconds']);
    expect(formatIssue(issues[0])).toContain('got 3600, expected <= 230');
    expect(issues[0].hint).toMatch(/reset a connection idle for 4 minutes/);
    const ok = exampleSpec() as Json;
    ok.services[0].route = { ...ok.services[0].route, readTimeoutSeconds: READ_TIMEOUT_MAX_SECONDS };
    expect(validateEnvironment(ok).ok).toBe(true);
  });

  test("the cap is below the idle timeout every synthesized LB rule has, the front's and every slot's", () => {
    const stacks = exampleStacks();
    const rules = Object.values(stacks).flatMap((s) => Object.values(resourcesOf(s, 'azurerm_lb_rule')));
    expect(rules.length).toBeGreaterThan(2);
    const idle = new Set(rules.map((r) => r.idle_timeout_in_minutes));
    expect([...idle]).toEqual([LB_IDLE_TIMEOUT_SECONDS / 60]);
    expect(READ_TIMEOUT_MAX_SECONDS).toBeLessThan(LB_IDLE_TIMEOUT_SECONDS);
    // the front stack's rules and a slot's are both among them
    expect(Object.keys(stacks).filter((name) => Object.keys(resourcesOf(stacks[name], 'azurerm_lb_rule')).length > 0).length).toBeGreaterThan(1);
  });
});
