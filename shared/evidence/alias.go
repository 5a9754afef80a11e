package evidence

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/iam"
)

type aliasLister interface {
	ListAccountAliases(ctx context.Context, in *iam.ListAccountAliasesInput, optFns ...func(*iam.Options)) (*iam.ListAccountAliasesOutput, error)
}

var _ aliasLister = (*iam.Client)(nil)

// AccountAlias returns the account's alias (an account has at most one), or
// "" when it has none. The notifier calls it once per container when the
// config names no account_alias.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListAccountAliases.html
func AccountAlias(ctx context.Context, c aliasLister) (string, error) {
	out, err := c.ListAccountAliases(ctx, &iam.ListAccountAliasesInput{})
	if err != nil {
		return "", fmt.Errorf("look up the account alias: %w", err)
	}
	if len(out.AccountAliases) == 0 {
		return "", nil
	}
	return out.AccountAliases[0], nil
}
