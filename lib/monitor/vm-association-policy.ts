/**
 * Data collection on Flexible scale sets. Azure associates a data collection rule with each VM of a
 * Flexible scale set, never with the set ("use a policy to deploy the agent and associate the DCR
 * with each VM", *Manage data collection rule associations*), and autoscale creates VMs Terraform
 * never sees. So the placement's resource group gets an assignment of Azure's built-in policy
 * *Configure Linux Machines to be associated with a Data Collection Rule or a Data Collection
 * Endpoint* (2ea82cdd-f2e8-4500-af75-67a2e084ca74, DeployIfNotExists): Azure itself associates each
 * VM that appears there, those autoscale adds included. The agent comes with the scale set's model
 * (an extension, as on Uniform ones), signed in as the slot's identity.
 *
 * The assignment's own identity (system-assigned) runs the association deployments, with the roles
 * the definition names (Monitoring Contributor and Log Analytics Contributor) on the group, as
 * Microsoft's IaaS baseline assigns them; Monitoring Reader on the rule, which lives in the monitor
 * stack's group. A new assignment reaches only VMs created after it is in force (Azure evaluates a
 * new resource about 15 minutes after it is created), so a remediation task (`ReEvaluateCompliance`)
 * created after the scale sets and after the grants are in force associates the VMs that already
 * exist. docs/monitoring.md has the evidence and what was not checked on Azure.
 *
 * Checked against azurerm v4.55.0: `azurerm_resource_group_policy_assignment` (name 1-64 characters
 * without `#<>%&:\?/`; `name`, `resource_group_id` and `policy_definition_id` force a new one;
 * `location` is required with an identity; create and update wait until Azure reads it back) and
 * `azurerm_resource_group_policy_remediation` (lowercase name; `name` and `resource_group_id` force a
 * new one; create starts the task and returns, it does not wait for the task; delete cancels a
 * running task first).
 */
import { ResourceGroupPolicyAssignment, ResourceGroupPolicyRemediation, RoleAssignment } from '../runtime/azurerm';
import type { ITerraformDependable } from '../runtime/cdk';
import { Construct } from 'constructs';
import { GRANT_WAIT, waitForGrant } from '../core/grant-wait';

/** The built-in policy definition that associates each Linux VM in its scope with a rule. */
export const DCR_ASSOCIATION_POLICY_ID = '/providers/Microsoft.Authorization/policyDefinitions/2ea82cdd-f2e8-4500-af75-67a2e084ca74';

/** The assignment's and the remediation's name in the placement's resource group. */
export const DCR_ASSOCIATION_POLICY_NAME = 'ase-dcr-vms';

/** The roles the assignment's identity gets, and where. */
export const DCR_ASSOCIATION_POLICY_ROLES = [
  { id: 'monitoring-contributor', role: 'Monitoring Contributor', on: 'group', why: "the VM association policy creates each VM's data collection rule association here (a role its definition names)" },
  { id: 'log-analytics-contributor', role: 'Log Analytics Contributor', on: 'group', why: "the VM association policy's deployments run here (a role its definition names)" },
  { id: 'rule-reader', role: 'Monitoring Reader', on: 'rule', why: "the VM association policy reads the rule it associates (in the monitor stack's group)" },
] as const;

export interface VmAssociationPolicyProps {
  /** The environment's name (in descriptions). */
  readonly environment: string;
  /** The placement's resource group: a reference to it, so the assignment comes after it. */
  readonly resourceGroupId: string;
  /** The group's region (an assignment with an identity needs one). */
  readonly location: string;
  /** The data collection rule every VM in the group is associated with (a static ID). */
  readonly ruleId: string;
  /** The scale sets whose VMs exist when this apply ends: the remediation starts after them. */
  readonly scaleSets: readonly ITerraformDependable[];
}

/**
 * The policy assignment, its identity's grants (each waited for) and the remediation task that
 * associates the VMs that already exist.
 */
export class VmAssociationPolicy extends Construct {
  public readonly assignment: ResourceGroupPolicyAssignment;
  public readonly remediation: ResourceGroupPolicyRemediation;

  constructor(scope: Construct, id: string, props: VmAssociationPolicyProps) {
    super(scope, id);
    this.assignment = new ResourceGroupPolicyAssignment(this, 'assignment', {
      name: DCR_ASSOCIATION_POLICY_NAME,
      resourceGroupId: props.resourceGroupId,
      policyDefinitionId: DCR_ASSOCIATION_POLICY_ID,
      displayName: `${props.environment}: associate each VM here with its data collection rule`,
      description: 'Azure associates every Linux VM of this group, those autoscale adds included, with the rule below (Flexible scale sets take no association of their own).',
      location: props.location,
      identity: { type: 'SystemAssigned' },
      // values, never expressions: JSON the provider sends as it is
      parameters: JSON.stringify({
        effect: { value: 'DeployIfNotExists' },
        dcrResourceId: { value: props.ruleId },
        resourceType: { value: 'Microsoft.Insights/dataCollectionRules' },
        // every VM here runs an image this library chose; the definition's own image list lags releases
        scopeToSupportedImages: { value: false },
      }),
    });
    const principalId = this.assignment.identity.principalId;
    const waits = DCR_ASSOCIATION_POLICY_ROLES.map((r) => {
      const grant = new RoleAssignment(this, r.id, {
        scope: r.on === 'group' ? props.resourceGroupId : props.ruleId,
        roleDefinitionName: r.role,
        principalId,
        // a principal created seconds ago: Azure skips the directory lookup that would not find it yet
        principalType: 'ServicePrincipal',
        description: `${props.environment}: ${r.why}`,
      });
      return waitForGrant(grant, GRANT_WAIT.policyRemediation);
    });
    this.remediation = new ResourceGroupPolicyRemediation(this, 'remediation', {
      name: DCR_ASSOCIATION_POLICY_NAME,
      resourceGroupId: props.resourceGroupId,
      policyAssignmentId: this.assignment.id,
      resourceDiscoveryMode: 'ReEvaluateCompliance',
      dependsOn: [...waits, ...props.scaleSets],
      // a new assignment (a new identity) needs its VMs associated again. A bare address: cdktf
      // writes a resource given here as "${…}", which Terraform's JSON syntax refuses in
      // replace_triggered_by ("Invalid character"; found by `terraform validate`)
      lifecycle: { replaceTriggeredBy: [`${this.assignment.terraformResourceType}.${this.assignment.friendlyUniqueId}`] },
    });
  }
}
