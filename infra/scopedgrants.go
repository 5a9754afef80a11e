package main

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/remediate"
)

// remediatorScopedGrants are the permissions remediation actions need only on
// the resources their rules name (iam:PassRole of a flow-log delivery role or
// an Automation role, to that one service): one statement per action and
// condition, on exactly the configured ARNs. A rule whose params do not name
// a literal role fails the synth with the registry's message.
func remediatorScopedGrants(rem config.Remediation, registry *remediate.Registry) ([]grant, error) {
	perms, err := registry.RuleScopedPermissions(rem)
	if err != nil {
		return nil, err
	}
	grants := make([]grant, 0, len(perms))
	for i, p := range perms {
		grants = append(grants, grant{
			Sid:        scopedSid(p, i),
			Actions:    []string{p.Action},
			Resources:  p.Resources,
			Conditions: p.Conditions,
		})
	}
	return grants, nil
}

// scopedSid names a scoped statement after its action and the service a
// role is passed to, e.g. PassRoleToVpcFlowLogs; statement ids allow only
// ASCII letters and digits.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_sid.html
func scopedSid(p remediate.ScopedPermission, i int) string {
	_, op, _ := strings.Cut(p.Action, ":")
	sid := alnum(op)
	services := p.Conditions["StringEquals"][remediate.PassedToServiceKey]
	if len(services) == 1 {
		return sid + "To" + alnum(strings.TrimSuffix(services[0], ".amazonaws.com"))
	}
	return fmt.Sprintf("%s%d", sid, i+1)
}

// alnum keeps the letters and digits of s, capitalizing the first letter
// of each run: vpc-flow-logs → VpcFlowLogs.
func alnum(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r)) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}
