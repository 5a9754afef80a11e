package remediate

import (
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// BenchmarkProtectedBy measures the per-decision cost of the protected
// guardrail: building the target's ARN and matching it against the globs.
func BenchmarkProtectedBy(b *testing.B) {
	g, errs := compileGuardrails(config.Guardrails{ProtectedARNs: []string{
		"arn:aws:ec2:*:*:security-group/sg-prod*",
		"arn:aws:s3:::audit-*",
		"arn:aws:iam::*:user/break-glass-?",
		"arn:aws:autoscaling:*:*:autoScalingGroup:*:autoScalingGroupName/payments-*",
	}})
	if len(errs) > 0 {
		b.Fatal(errs)
	}
	t := Target{Type: "AWS::EC2::SecurityGroup", ID: "sg-0123456789abcdef0"}
	b.ReportAllocs()
	for b.Loop() {
		if g.protectedBy(targetARN(t, "123456789012", "eu-west-1")) != "" {
			b.Fatal("unexpected match")
		}
	}
}
