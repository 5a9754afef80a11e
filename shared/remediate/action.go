// Package remediate is the remediator's domain: a registry of named actions
// (revoke-open-ingress, asg-adjust-capacity, …), each declaring its parameters,
// the IAM actions it needs, where in a trigger it finds its resource, and how
// it plans, applies, verifies and undoes a change; and the Service that runs
// the configured rules against each trigger under the guardrails.
//
// Planning only reads (Describe*/Get*/List*), so dry-run never mutates; an
// empty plan means the resource is already in the wanted state, which makes
// every action idempotent.
//
// Each rule that matches a trigger passes these checks in order; the first
// that refuses skips the action and names itself (alert.Remediation.Guardrail)
// in the audit record and the Watchkeeper Remediation event:
//
//  1. kill switch (GuardrailKillSwitch): the SSM parameter is off;
//  2. idempotency: the trigger+rule was already handled (counted as a
//     duplicate, not recorded again);
//  3. scope (GuardrailRegion, GuardrailAccount): the target is in another
//     region than the remediator's clients, or outside allow_regions /
//     allow_accounts, or in deny_regions / deny_accounts;
//  4. self (GuardrailSelf): the target is, or belongs to, an IAM principal
//     the suite or its operators depend on (the remediator's role, the
//     stack's and CDK's roles, never_quarantine);
//  5. protected (GuardrailProtected): the target's ARN (built from its type,
//     id, region and account when the trigger gives none) matches a
//     protected_arns glob;
//  6. member account (GuardrailAccount): a target in another account than the
//     remediator's is acted on only through remediation.cross_account's role
//     in a listed account;
//  7. opt-out tag (GuardrailOptOut): read while planning, which only reads;
//     then, in opt-in mode (guardrails.opt_in_tag), the opt-in tag
//     (GuardrailOptIn): a resource without it is skipped, and so is one
//     whose tags the action does not read unless the rule is opt_in_exempt;
//  8. cooldown (GuardrailCooldown): the same action changed the same
//     resource less than guardrails.cooldown ago;
//  9. circuit (GuardrailCircuitOpen): the rule already made
//     max_actions_per_hour changes in this UTC hour; the first refusal of
//     the hour also publishes one event labelled LabelCircuit=CircuitOpened;
//  10. plan or apply: dry-run records the plan (and never counts), enforce
//     applies, verifies, and starts the cooldown.
package remediate

import (
	"context"
	"errors"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// Action is one remediation a rule can name.
type Action interface {
	// Name is the registry key used in config (`action: revoke-open-ingress`).
	Name() string
	// Schema declares the parameters the action accepts.
	Schema() ParamSchema
	// Permissions are the IAM actions Plan, Apply and Verify call, for the
	// remediator's role.
	Permissions() []string
	// Example is a config snippet (YAML) showing a rule that uses the action.
	Example() string
	// Target extracts the resource to act on from the alert, from the places
	// the action declares (request parameters, alarm dimensions, finding
	// resources), and from params where the action allows it. An alert without
	// one yields an error wrapping ErrNoTarget.
	Target(a alert.Alert, p Params) (Target, error)
	// Plan describes the resource and computes what would change. It only
	// reads. An empty plan (Plan.Empty) means there is nothing to do.
	Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error)
	// Apply makes the change a plan describes. Applying the same plan twice
	// changes nothing the second time.
	Apply(ctx context.Context, c Clients, p Plan) error
	// Verify describes the resource again and checks the change took hold.
	Verify(ctx context.Context, c Clients, p Plan) error
	// Undo is the AWS CLI command line that reverts an applied plan.
	Undo(p Plan) string
}

// ErrNoTarget marks an alert that does not say which resource the action
// would act on; the service skips the rule for it.
var ErrNoTarget = errors.New("no target in trigger")

// ErrVerify marks a change that did not hold when described again.
var ErrVerify = errors.New("verification failed")

// ErrMissingClient marks a Clients value without the service client an
// action needs.
var ErrMissingClient = errors.New("missing AWS client")

// ErrChanged marks a resource that changed between Plan and Apply in a way
// the plan did not foresee; applying it blindly could undo someone's change.
var ErrChanged = errors.New("resource changed since the plan")

// Target is the resource an action acts on.
type Target struct {
	// Type is the CloudFormation resource type, e.g. AWS::EC2::SecurityGroup.
	Type string
	// ID is what the API calls take: a group id, a group name, a bucket name.
	ID string
	// Parent owns the target when it is nested (the IAM user of an access key).
	Parent string
	// ARN, Region and Account when the trigger says them.
	ARN     string
	Region  string
	Account string
	// From says where in the trigger the target was found, for the audit trail.
	From string
	// Trigger is the ID of the alert that named the target (an alarm, a
	// finding, an API call), set by actions that record it on what they
	// create (the tags of ec2-snapshot-volumes' snapshots).
	Trigger string
}

// Name is how outcomes and audit records name the target.
func (t Target) Name() string {
	if t.Parent != "" {
		return t.Parent + "/" + t.ID
	}
	return t.ID
}

// Plan is what an action would change on one target.
type Plan struct {
	// Action is the name of the action that made the plan.
	Action string
	Target Target
	// Changes lists each change in words; empty means nothing to do.
	Changes []string
	// Summary says in one line what would change, or why nothing would.
	Summary string
	// Tags are the resource's tags as read while planning, for the opt-out
	// guardrail; TagsRead is false when the action cannot read them.
	Tags     map[string]string
	TagsRead bool
	// Data is the action's own record of the change, read by Apply, Verify
	// and Undo. Its type belongs to the action.
	Data any
}

// Empty reports whether the plan changes nothing.
func (p Plan) Empty() bool { return len(p.Changes) == 0 }

// Detail is the plan for humans: the summary, then each change.
func (p Plan) Detail() string {
	if len(p.Changes) <= 1 {
		return p.Summary
	}
	return p.Summary + ": " + strings.Join(p.Changes, "; ")
}
