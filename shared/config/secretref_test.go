package config

import (
	"strings"
	"testing"
)

func TestSecretRef(t *testing.T) {
	const arn = "arn:aws:secretsmanager:eu-west-2:123456789012:secret:watchkeeper/slack-AbCdEf"
	cases := []struct {
		ref                  SecretRef
		kind                 SecretKind
		arn, key, param, env string
		deployable           bool
		checkErr             string
	}{
		{"", SecretNone, "", "", "", "", false, ""},
		{arn, SecretsManager, arn, "", "", "", true, ""},
		{arn + "#webhook", SecretsManager, arn, "webhook", "", "", true, ""},
		{"arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x", SecretsManager, "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x", "", "", "", true, ""},
		{"arn:aws:secretsmanager:eu-west-2:123:secret:x", SecretsManager, "arn:aws:secretsmanager:eu-west-2:123:secret:x", "", "", "", true, "not a Secrets Manager secret ARN"},
		{"arn:aws:ssm:eu-west-2:123456789012:parameter/x", SecretsManager, "arn:aws:ssm:eu-west-2:123456789012:parameter/x", "", "", "", true, "not a Secrets Manager secret ARN"},
		{arn + "#", SecretsManager, arn, "", "", "", true, "not a Secrets Manager secret ARN"},
		{"ssm:/watchkeeper/pagerduty/routing-key", SSMParameter, "", "", "/watchkeeper/pagerduty/routing-key", "", true, ""},
		{"ssm:plain-name", SSMParameter, "", "", "plain-name", "", true, ""},
		{"ssm:", SSMParameter, "", "", "", "", true, "names no SSM parameter"},
		{"ssm:/a//b", SSMParameter, "", "", "/a//b", "", true, "not a valid SSM parameter name"},
		{SecretRef("ssm:/" + strings.Repeat("a", MaxSSMParameterNameLength)), SSMParameter, "", "", "/" + strings.Repeat("a", MaxSSMParameterNameLength), "", true, "longer than 2048"},
		{"env:WATCHKEEPER_WEBHOOK_SECRET", EnvVar, "", "", "", "WATCHKEEPER_WEBHOOK_SECRET", false, ""},
		{"env:", EnvVar, "", "", "", "", false, "not a valid environment variable reference"},
		{"env:A-B", EnvVar, "", "", "", "A-B", false, "not a valid environment variable reference"},
		{"https://hooks.slack.com/services/T/B/X", Literal, "", "", "", "", false, ""},
	}
	for _, tc := range cases {
		r := tc.ref
		if r.Kind() != tc.kind || r.ARN() != tc.arn || r.JSONKey() != tc.key || r.ParameterName() != tc.param || r.EnvName() != tc.env || r.Deployable() != tc.deployable {
			t.Errorf("%q: kind=%q arn=%q key=%q param=%q env=%q deployable=%v", r, r.Kind(), r.ARN(), r.JSONKey(), r.ParameterName(), r.EnvName(), r.Deployable())
		}
		err := r.Check()
		switch {
		case tc.checkErr == "" && err != nil:
			t.Errorf("%q.Check() = %v", r, err)
		case tc.checkErr != "" && (err == nil || !strings.Contains(err.Error(), tc.checkErr)):
			t.Errorf("%q.Check() = %v, want %q", r, err, tc.checkErr)
		}
	}
}

func TestSecretRefStringRedactsLiterals(t *testing.T) {
	lit := SecretRef("xoxb-very-secret")
	if s := lit.String(); s != "literal:<redacted>" {
		t.Errorf("String() = %q", s)
	}
	if s := SecretRef("ssm:/a").String(); s != "ssm:/a" {
		t.Errorf("String() of a reference = %q", s)
	}
}
