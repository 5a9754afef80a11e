package remediate

import (
	"errors"
	"strings"
	"testing"
)

// TestPublicAccessHelpers checks the plan, verify and undo that the bucket
// and account public access block actions share, for both owners.
func TestPublicAccessHelpers(t *testing.T) {
	half := publicAccess{BlockPublicAcls: true, BlockPublicPolicy: true}
	all := publicAccess{BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true}
	tests := []struct {
		name        string
		flags       publicAccess
		existed     bool
		service     string
		owner       []string
		what        string
		wantSummary string
		wantChanges []string
		wantVerify  string
		wantUndo    string
	}{
		{
			name: "bucket half on", flags: half, existed: true, service: "s3api", owner: []string{"--bucket", "logs"}, what: "bucket logs",
			wantSummary: "on bucket logs turn on IgnorePublicAcls, RestrictPublicBuckets",
			wantChanges: []string{"turn on IgnorePublicAcls", "turn on RestrictPublicBuckets"},
			wantVerify:  "bucket logs still has IgnorePublicAcls, RestrictPublicBuckets off",
			wantUndo: "aws s3api put-public-access-block --bucket logs --public-access-block-configuration " +
				"BlockPublicAcls=true,IgnorePublicAcls=false,BlockPublicPolicy=true,RestrictPublicBuckets=false",
		},
		{
			name: "account all on", flags: all, existed: true, service: "s3control", owner: []string{"--account-id", "123456789012"},
			what: "account 123456789012", wantSummary: "account 123456789012 already blocks public access",
			wantUndo: "aws s3control put-public-access-block --account-id 123456789012 --public-access-block-configuration " +
				"BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true",
		},
		{
			name: "account none", existed: false, service: "s3control", owner: []string{"--account-id", "123456789012"},
			what: "account 123456789012", wantSummary: "on account 123456789012 turn on BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets",
			wantChanges: []string{"turn on BlockPublicAcls", "turn on IgnorePublicAcls", "turn on BlockPublicPolicy", "turn on RestrictPublicBuckets"},
			wantVerify:  "account 123456789012 still has BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets off",
			wantUndo:    "aws s3control delete-public-access-block --account-id 123456789012",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var plan Plan
			tt.flags.plan(&plan, tt.what)
			if plan.Summary != tt.wantSummary {
				t.Errorf("summary = %q, want %q", plan.Summary, tt.wantSummary)
			}
			if strings.Join(plan.Changes, "|") != strings.Join(tt.wantChanges, "|") {
				t.Errorf("changes = %q, want %q", plan.Changes, tt.wantChanges)
			}
			err := tt.flags.verify(tt.what)
			switch {
			case tt.wantVerify == "" && err != nil:
				t.Errorf("verify = %v, want nil", err)
			case tt.wantVerify != "" && (!errors.Is(err, ErrVerify) || !strings.HasSuffix(err.Error(), tt.wantVerify)):
				t.Errorf("verify = %v, want ErrVerify ending %q", err, tt.wantVerify)
			}
			if got := tt.flags.undo(tt.existed, tt.service, tt.owner...); got != tt.wantUndo {
				t.Errorf("undo = %q, want %q", got, tt.wantUndo)
			}
		})
	}
}
