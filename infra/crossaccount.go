package main

import (
	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/remediate"
)

// memberRoleGrant lets the remediator assume the member role in each
// account remediation.cross_account lists, and nowhere else; nil without
// member accounts.
func memberRoleGrant(cfg *config.Config, env arnEnv) *grant {
	ca := cfg.Remediation.CrossAccount
	if len(ca.Accounts) == 0 {
		return nil
	}
	name := ca.RoleName
	if name == "" {
		name = config.DefaultCrossAccountRole
	}
	arns := make([]string, 0, len(ca.Accounts))
	for _, a := range ca.Accounts {
		arns = append(arns, remediate.MemberRoleARN(env.Partition, a, name))
	}
	return &grant{Sid: "AssumeMemberRoles", Actions: []string{"sts:AssumeRole"}, Resources: sortedUnique(arns)}
}
