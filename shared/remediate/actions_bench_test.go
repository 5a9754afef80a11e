package remediate

import (
	"context"
	"testing"
)

// BenchmarkPublicStatements measures splitting a five-statement bucket
// policy into public and kept statements and rebuilding it.
func BenchmarkPublicStatements(b *testing.B) {
	policy := policyOf(stmtPublicRead, stmtPublicList, stmtFromVPCE, stmtDenyHTTP, stmtPartner)
	b.SetBytes(int64(len(policy)))
	b.ReportAllocs()
	for b.Loop() {
		doc, public, kept, err := publicStatements(policy)
		if err != nil || len(public) != 2 {
			b.Fatalf("public %d, err %v", len(public), err)
		}
		if _, err := rebuildPolicy(doc, kept); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTargetsNewActions measures target extraction of the second
// batch's actions from one CloudTrail record each.
func BenchmarkTargetsNewActions(b *testing.B) {
	cases := []struct {
		a      Action
		record string
		params map[string]any
	}{
		{ecsSetDesiredCount{}, `{"eventSource":"ecs.amazonaws.com","eventName":"UpdateService","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"cluster":"prod","service":"arn:aws:ecs:eu-west-1:123456789012:service/prod/api"}}`,
			map[string]any{"by": 1, "max": 4}},
		{lambdaSetReservedConcurrency{}, `{"eventSource":"lambda.amazonaws.com","eventName":"UpdateFunctionCode20150331v2","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"functionName":"runaway"}}`, nil},
		{rdsInstanceNotPublic{}, `{"eventSource":"rds.amazonaws.com","eventName":"ModifyDBInstance","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"dBInstanceIdentifier":"orders","publiclyAccessible":true}}`, nil},
		{s3AccountPublicAccessBlock{}, `{"eventSource":"s3.amazonaws.com","eventName":"DeleteAccountPublicAccessBlock","awsRegion":"eu-west-1",
"recipientAccountId":"123456789012","requestParameters":{"accountId":"123456789012"}}`, nil},
	}
	for _, tc := range cases {
		al := trailAlert(b, tc.record)
		p := params(b, tc.a, tc.params)
		b.Run(tc.a.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := tc.a.Target(al, p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPlanApplyMoto measures one plan, apply and verify of
// s3-remove-public-policy-statements against moto: round trips to a local
// server, so it bounds the action's own overhead, not AWS latency.
func BenchmarkPlanApplyMoto(b *testing.B) {
	env := startMoto(b)
	env.seedBucket(b, "wk-bench", nil)
	a := s3RemovePublicPolicyStatements{}
	c := env.clients()
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		env.putPolicy(b, "wk-bench", policyOf(stmtPublicRead, stmtPartner))
		plan, err := a.Plan(ctx, c, Target{ID: "wk-bench"}, nil)
		if err != nil || plan.Empty() {
			b.Fatalf("plan: %v", err)
		}
		if err := a.Apply(ctx, c, plan); err != nil {
			b.Fatal(err)
		}
		if err := a.Verify(ctx, c, plan); err != nil {
			b.Fatal(err)
		}
	}
}
