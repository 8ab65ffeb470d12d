/**
 * InternalLoadBalancer's idle timeout: one value for the rules (azurerm 4-100) and the instance
 * input NAT rules (azurerm 4-30), so a value only the rules accept is refused at construction,
 * naming the prop and the endpoints, instead of failing at plan on the NAT rules.
 */
import { Testing, TerraformStack } from 'cdktf';
import { InternalLoadBalancer, type InternalLoadBalancerProps } from '../../lib/lb/internal-load-balancer';
import type { Json } from '../helpers';

const props = (over: Partial<InternalLoadBalancerProps> = {}): InternalLoadBalancerProps => ({
  name: 'lb-test',
  resourceGroupName: 'rg-test',
  location: 'westeurope',
  frontendSubnetId: '/subscriptions/x/resourceGroups/rg/providers/Microsoft.Network/virtualNetworks/v/subnets/s',
  frontends: [{ name: 'frontend', ip: '10.0.1.5', ports: [10000], healthPath: '/health', instanceInput: [{ name: 'ssh', port: 22, frontendPortStart: 50000, frontendPortEnd: 50009 }] }],
  ...over,
});
const synth = (p: InternalLoadBalancerProps) => {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new InternalLoadBalancer(stack, 'lb', p);
  return JSON.parse(Testing.synth(stack));
};

const timeouts = (out: Json, type: string) => Object.values(out.resource[type] as Record<string, Json>).map((r) => r.idle_timeout_in_minutes);

describe('idle timeout', () => {
  test('a value both accept goes to the rules and the NAT rules', () => {
    const out = synth(props({ idleTimeoutMinutes: 30 }));
    expect(timeouts(out, 'azurerm_lb_rule')).toEqual([30]);
    expect(timeouts(out, 'azurerm_lb_nat_rule')).toEqual([30]);
  });

  test('above 30 with instance input is refused, naming the prop and the endpoint; without NAT rules it is fine', () => {
    expect(() => synth(props({ idleTimeoutMinutes: 45 }))).toThrow(
      'InternalLoadBalancer lb-test: idleTimeoutMinutes 45 is above 30, the most a NAT rule accepts, and applies to the NAT rules of frontends[frontend].instanceInput[ssh] too (give at most 30 with instance input endpoints)',
    );
    const noNat = props({ idleTimeoutMinutes: 45 });
    const out = synth({ ...noNat, frontends: [{ ...noNat.frontends[0], instanceInput: [] }] });
    expect(timeouts(out, 'azurerm_lb_rule')).toEqual([45]);
    expect(out.resource.azurerm_lb_nat_rule).toBeUndefined();
  });

  test('outside 4-100 is refused for the rules', () => {
    expect(() => synth(props({ idleTimeoutMinutes: 3 }))).toThrow('InternalLoadBalancer lb-test: idleTimeoutMinutes 3 is outside 4-100, what a load-balancing rule accepts');
    expect(() => synth(props({ idleTimeoutMinutes: 101, frontends: [{ ...props().frontends[0], instanceInput: [] }] }))).toThrow(/idleTimeoutMinutes 101 is outside 4-100/);
  });
});
