package remediate

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// ScopedPermission is an IAM action an action needs only on resources its
// rule's parameters name, such as iam:PassRole on the one role it hands to
// a service. infra grants it on exactly those resources, with its
// conditions, instead of on "*".
type ScopedPermission struct {
	// Action is the IAM action, e.g. iam:PassRole.
	Action string
	// Resources are the literal ARNs the rule's params name.
	Resources []string
	// Conditions is operator → key → values, e.g.
	// StringEquals → iam:PassedToService → [ssm.amazonaws.com].
	Conditions map[string]map[string][]string
}

// ScopedAction is an Action whose permissions partly depend on its rule's
// parameters. Its Permissions list only what is needed on any resource.
type ScopedAction interface {
	Action
	// ScopedPermissions are the permissions the validated params p need,
	// for a rule in enforce mode (they are never read actions).
	ScopedPermissions(p Params) []ScopedPermission
}

// PassRoleAction is the IAM action that lets a caller hand a role to a
// service, checked when CreateFlowLogs or StartAutomationExecution is given
// one.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
const PassRoleAction = "iam:PassRole"

// PassedToServiceKey is the condition key naming the service a role is
// passed to.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html#ck_PassedToService
const PassedToServiceKey = "iam:PassedToService"

// Services the remediation actions pass roles to.
const (
	// PassedToFlowLogs receives vpc-restore-flow-logs' delivery role.
	// https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
	PassedToFlowLogs = "vpc-flow-logs.amazonaws.com"
	// PassedToSSM receives ssm-start-automation's AutomationAssumeRole.
	// https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-setup-iam.html
	PassedToSSM = "ssm.amazonaws.com"
)

// roleARNRE is a literal IAM role ARN: partition, 12-digit account, an
// optional path and a role name of the characters IAM allows, and no
// wildcard or {{ }} parameter reference, so that a policy naming it names
// that one role.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html
var roleARNRE = regexp.MustCompile(`^arn:aws(-cn|-us-gov)?:iam::[0-9]{12}:role/([\x21-\x7e]*/)?[A-Za-z0-9+=,.@_-]{1,64}$`)

// maxRoleARNLen bounds a role ARN (Role.Arn is 20 to 2048 characters).
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_Role.html
const maxRoleARNLen = 2048

// checkRoleARN rejects what is not a literal role ARN, naming the
// parameter and what the role is for.
func checkRoleARN(param, value, purpose string) error {
	if len(value) <= maxRoleARNLen && roleARNRE.MatchString(value) && !strings.ContainsAny(value, "*?{}") {
		return nil
	}
	return fmt.Errorf("%s %q is not a literal IAM role ARN (arn:aws:iam::123456789012:role/name, no wildcards or {{ }} references): "+
		"the remediator may pass only the roles its rules name, %s", param, truncate(value, 80), purpose)
}

// passRole is iam:PassRole on role, to service only.
func passRole(role, service string) ScopedPermission {
	return ScopedPermission{Action: PassRoleAction, Resources: []string{role},
		Conditions: map[string]map[string][]string{"StringEquals": {PassedToServiceKey: {service}}}}
}

// ScopedPermissions returns the permissions the params raw scope for the
// action named name, after validating raw against its schema; an action
// that declares none yields nil (its params are left to remediate.New).
func (r *Registry) ScopedPermissions(name string, raw map[string]any) ([]ScopedPermission, error) {
	a, err := r.Lookup(name)
	if err != nil {
		return nil, err
	}
	s, ok := a.(ScopedAction)
	if !ok {
		return nil, nil
	}
	p, err := a.Schema().Validate(raw)
	if err != nil {
		return nil, fmt.Errorf("action %s: %w", name, err)
	}
	return s.ScopedPermissions(p), nil
}

// MergeScoped joins permissions of the same action and conditions into one,
// with sorted, distinct resources, in a stable order (action, then
// conditions), so generated policies do not change with rule order.
func MergeScoped(perms []ScopedPermission) []ScopedPermission {
	byKey := map[string]*ScopedPermission{}
	var keys []string
	for _, p := range perms {
		cond, _ := json.Marshal(p.Conditions) // maps of strings always marshal, keys sorted
		k := p.Action + "\x00" + string(cond)
		m, ok := byKey[k]
		if !ok {
			m = &ScopedPermission{Action: p.Action, Conditions: p.Conditions}
			byKey[k] = m
			keys = append(keys, k)
		}
		m.Resources = append(m.Resources, p.Resources...)
	}
	sort.Strings(keys)
	out := make([]ScopedPermission, 0, len(keys))
	for _, k := range keys {
		m := byKey[k]
		sort.Strings(m.Resources)
		m.Resources = slices.Compact(m.Resources)
		out = append(out, *m)
	}
	return out
}

// RuleScopedPermissions are the scoped permissions of the rules of rem that
// may act (enforce mode, globally or per rule), merged; dry-run rules only
// plan, which never passes a role. Every rule's params are validated, so a
// rule without a literal role ARN fails here whatever its mode.
func (r *Registry) RuleScopedPermissions(rem config.Remediation) ([]ScopedPermission, error) {
	var perms []ScopedPermission
	var errs []error
	for _, rule := range rem.Rules {
		ps, err := r.ScopedPermissions(rule.Action, rule.Params)
		if err != nil {
			errs = append(errs, fmt.Errorf("remediation rule %s: %w", rule.Name, err))
			continue
		}
		mode := rule.Mode
		if mode == "" {
			mode = rem.Mode
		}
		if mode == config.ModeEnforce {
			perms = append(perms, ps...)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return MergeScoped(perms), nil
}
