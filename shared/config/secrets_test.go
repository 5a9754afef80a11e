package config

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
)

// countingSecrets counts GetSecretValue calls that reach the real client.
type countingSecrets struct {
	SecretValueGetter
	calls atomic.Int32
}

func (c *countingSecrets) GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error) {
	c.calls.Add(1)
	return c.SecretValueGetter.GetSecretValue(ctx, in, opts...)
}

type countingParams struct {
	ParameterGetter
	calls atomic.Int32
}

func (c *countingParams) GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error) {
	c.calls.Add(1)
	return c.ParameterGetter.GetParameter(ctx, in, opts...)
}

func TestResolverAgainstMoto(t *testing.T) {
	endpoint := startMoto(t)
	cfg := motoAWSConfig(t, endpoint)
	ctx := context.Background()
	smClient := secretsmanager.NewFromConfig(cfg)
	ssmClient := ssm.NewFromConfig(cfg)

	plain, err := smClient.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String("watchkeeper/slack-webhook"),
		SecretString: aws.String("https://hooks.slack.test/services/T000/B000/XXXX"),
	})
	if err != nil {
		t.Fatalf("seed plain secret: %v", err)
	}
	structured, err := smClient.CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String("watchkeeper/pagerduty"),
		SecretString: aws.String(`{"routing_key":"R0UT1NGKEY","port":8443,"enabled":true,"nested":{"a":1}}`),
	})
	if err != nil {
		t.Fatalf("seed JSON secret: %v", err)
	}
	if _, err := ssmClient.PutParameter(ctx, &ssm.PutParameterInput{
		Name:  aws.String("/watchkeeper/pagerduty/routing-key"),
		Value: aws.String("ssm-secret-value"),
		Type:  ssmtypes.ParameterTypeSecureString,
	}); err != nil {
		t.Fatalf("seed SSM parameter: %v", err)
	}

	sm := &countingSecrets{SecretValueGetter: smClient}
	ps := &countingParams{ParameterGetter: ssmClient}
	env := map[string]string{"WEBHOOK_SECRET": "from-env"}
	r := NewResolver(WithSecretsManager(sm), WithSSM(ps), WithEnv(func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}))

	plainARN := aws.ToString(plain.ARN)
	jsonARN := aws.ToString(structured.ARN)
	cases := []struct {
		ref  SecretRef
		want string
	}{
		{SecretRef(plainARN), "https://hooks.slack.test/services/T000/B000/XXXX"},
		{SecretRef(jsonARN + "#routing_key"), "R0UT1NGKEY"},
		{SecretRef(jsonARN + "#port"), "8443"},
		{SecretRef(jsonARN + "#enabled"), "true"},
		{"ssm:/watchkeeper/pagerduty/routing-key", "ssm-secret-value"},
		{"env:WEBHOOK_SECRET", "from-env"},
		{"just-a-literal", "just-a-literal"},
		{"", ""},
	}
	for _, tc := range cases {
		t.Run(string(tc.ref), func(t *testing.T) {
			got, err := r.Resolve(ctx, tc.ref)
			if err != nil {
				t.Fatalf("Resolve(%q): %v", tc.ref, err)
			}
			if got != tc.want {
				t.Errorf("Resolve(%q) = %q, want %q", tc.ref, got, tc.want)
			}
		})
	}

	// Resolve everything again: all from the cache.
	for _, tc := range cases {
		if _, err := r.Resolve(ctx, tc.ref); err != nil {
			t.Fatalf("second Resolve(%q): %v", tc.ref, err)
		}
	}
	if got := sm.calls.Load(); got != 2 {
		t.Errorf("GetSecretValue called %d times, want 2 (one per secret, keys share the fetch)", got)
	}
	if got := ps.calls.Load(); got != 1 {
		t.Errorf("GetParameter called %d times, want 1", got)
	}

	t.Run("errors", func(t *testing.T) {
		errCases := []struct {
			ref  SecretRef
			want string
		}{
			{SecretRef(jsonARN + "#missing"), `has no key "missing"`},
			{SecretRef(jsonARN + "#nested"), "not a string, number or boolean"},
			{SecretRef(plainARN + "#key"), "is not a JSON object"},
			{"arn:aws:secretsmanager:us-east-1:123456789012:secret:does-not-exist", "get secret"},
			{"ssm:/watchkeeper/missing", "get parameter /watchkeeper/missing"},
			{"env:NOT_SET", "variable not set"},
			{"arn:aws:s3:::bucket", "not a Secrets Manager secret ARN"},
		}
		for _, tc := range errCases {
			_, err := r.Resolve(ctx, tc.ref)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Resolve(%q) error = %v, want it to contain %q", tc.ref, err, tc.want)
				continue
			}
			for _, secret := range []string{"R0UT1NGKEY", "hooks.slack.test", "ssm-secret-value"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("Resolve(%q) error leaks a secret value: %v", tc.ref, err)
				}
			}
		}
	})
}

func TestResolverWithoutSources(t *testing.T) {
	r := NewResolver()
	ctx := context.Background()
	for _, ref := range []SecretRef{
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:x",
		"ssm:/x",
		"env:X",
	} {
		_, err := r.Resolve(ctx, ref)
		if !errors.Is(err, ErrSecretUnavailable) {
			t.Errorf("Resolve(%q) = %v, want ErrSecretUnavailable", ref, err)
		}
	}
	got, err := r.Resolve(ctx, "literal")
	if err != nil || got != "literal" {
		t.Errorf("Resolve(literal) = %q, %v", got, err)
	}
}
