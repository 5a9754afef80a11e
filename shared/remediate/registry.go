package remediate

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// ErrUnknownAction marks an action name no registered action has.
var ErrUnknownAction = errors.New("unknown remediation action")

// Registry maps action names to actions. Its zero value is not usable; build
// one with NewRegistry or Default.
type Registry struct {
	actions map[string]Action
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{actions: make(map[string]Action)}
}

// Default returns a new registry holding the built-in actions.
func Default() *Registry {
	r := NewRegistry()
	for _, a := range builtins() {
		r.actions[a.Name()] = a
	}
	return r
}

// builtins lists the actions Default registers.
func builtins() []Action {
	return []Action{
		revokeOpenIngress{},
		asgAdjustCapacity{},
		cloudTrailStartLogging{},
		s3BlockPublicAccess{},
		iamDeactivateAccessKey{},
		ec2StopInstances{},
		ec2RebootInstances{},
		ec2EnforceIMDSv2{},
		ec2IsolateInstance{},
		ebsSnapshotPrivate{},
		kmsCancelKeyDeletion{},
		iamAttachDenyAll{},
		iamDetachAdminPolicy{},
		guardDutyEnableDetector{},
		configStartRecorder{},
		ec2StartInstances{},
		ec2DetachInstanceProfile{},
		ec2SnapshotVolumes{},
		asgStartInstanceRefresh{},
		ecsForceNewDeployment{},
		ecsSetDesiredCount{},
		lambdaSetReservedConcurrency{},
		s3RemovePublicPolicyStatements{},
		s3DefaultEncryption{},
		s3EnableVersioning{},
		s3AccountPublicAccessBlock{},
		cloudTrailRestoreConfig{},
		rdsSnapshotPrivate{},
		rdsInstanceNotPublic{},
		rdsRebootInstance{},
		vpcRestoreFlowLogs{},
		ssmRunCommand{},
		ssmStartAutomation{},
	}
}

// Register adds an action. A second action under a taken name, or an action
// without a name, is an error.
func (r *Registry) Register(a Action) error {
	if a == nil || a.Name() == "" {
		return errors.New("register remediation action: action has no name")
	}
	if _, taken := r.actions[a.Name()]; taken {
		return fmt.Errorf("register remediation action %q: name already registered", a.Name())
	}
	r.actions[a.Name()] = a
	return nil
}

// Lookup returns the action registered under name. An unknown name fails with
// the sorted list of valid ones.
func (r *Registry) Lookup(name string) (Action, error) {
	if a, ok := r.actions[name]; ok {
		return a, nil
	}
	return nil, fmt.Errorf("%w %q (valid: %s)", ErrUnknownAction, truncate(name, 80), strings.Join(r.Names(), ", "))
}

// Names lists the registered action names, sorted.
func (r *Registry) Names() []string {
	out := make([]string, 0, len(r.actions))
	for n := range r.actions {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Permissions returns the sorted union of the IAM actions the named actions
// need, for the remediator's role. Unknown names are an error.
func (r *Registry) Permissions(names []string) ([]string, error) {
	set := make(map[string]struct{})
	for _, n := range names {
		a, err := r.Lookup(n)
		if err != nil {
			return nil, err
		}
		for _, p := range a.Permissions() {
			set[p] = struct{}{}
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}
