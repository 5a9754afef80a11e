package remediate

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// RoleSessionName names the remediator's sessions in member accounts, so
// their CloudTrail records say who acted.
const RoleSessionName = "watchkeeper-remediator"

// AccountClients gives the clients that act in another account.
type AccountClients interface {
	// Member reports whether the remediator may act in account.
	Member(account string) bool
	// ClientsFor returns clients acting in a member account.
	ClientsFor(ctx context.Context, account string) (Clients, error)
}

var _ AccountClients = (*CrossAccount)(nil)

// CrossAccount builds the clients of member accounts from a role assumed in
// each (remediation.cross_account). Each account's clients and their
// credentials are built once per container and refreshed by the SDK's
// credentials cache before they expire.
type CrossAccount struct {
	base       aws.Config
	sts        stscreds.AssumeRoleAPIClient
	roleName   string
	externalID string
	accounts   []string
	build      func(aws.Config) Clients

	mu    sync.Mutex
	cache map[string]Clients
}

// NewCrossAccount returns the member-account clients of ca: base is the
// remediator's own SDK config (region, retries, endpoints), stsClient calls
// sts:AssumeRole with its own credentials.
func NewCrossAccount(base aws.Config, stsClient stscreds.AssumeRoleAPIClient, ca config.CrossAccount) *CrossAccount {
	name := ca.RoleName
	if name == "" {
		name = config.DefaultCrossAccountRole
	}
	return &CrossAccount{
		base: base, sts: stsClient, roleName: name, externalID: ca.ExternalID,
		accounts: slices.Clone(ca.Accounts), build: NewClients, cache: map[string]Clients{},
	}
}

// MemberRoleARN is the role assumed in account.
func (x *CrossAccount) MemberRoleARN(account string) string {
	return MemberRoleARN(partition(x.base.Region), account, x.roleName)
}

// MemberRoleARN is the ARN of the member role roleName in account.
func MemberRoleARN(partition, account, roleName string) string {
	return "arn:" + partition + ":iam::" + account + ":role/" + roleName
}

// Member implements AccountClients.
func (x *CrossAccount) Member(account string) bool { return slices.Contains(x.accounts, account) }

// ClientsFor implements AccountClients. The role is assumed on the first
// call for an account, so that a member role that is missing or does not
// trust the remediator fails here, with its ARN, rather than in the
// action's first call.
func (x *CrossAccount) ClientsFor(ctx context.Context, account string) (Clients, error) {
	if !x.Member(account) {
		return Clients{}, fmt.Errorf("account %s is not in remediation.cross_account.accounts", account)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if c, ok := x.cache[account]; ok {
		return c, nil
	}
	arn := x.MemberRoleARN(account)
	provider := stscreds.NewAssumeRoleProvider(x.sts, arn, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = RoleSessionName
		if x.externalID != "" {
			o.ExternalID = aws.String(x.externalID)
		}
	})
	cfg := x.base.Copy()
	creds := aws.NewCredentialsCache(provider)
	if _, err := creds.Retrieve(ctx); err != nil {
		return Clients{}, fmt.Errorf("assume %s: %w", arn, err)
	}
	cfg.Credentials = creds
	c := x.build(cfg)
	x.cache[account] = c
	return c, nil
}
