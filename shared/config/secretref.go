package config

import (
	"fmt"
	"regexp"
	"strings"
)

// SecretKind says where a SecretRef's value lives.
type SecretKind string

// Secret reference kinds.
const (
	// SecretNone is the kind of an empty reference.
	SecretNone SecretKind = ""
	// SecretsManager is "arn:aws:secretsmanager:<region>:<account>:secret:<name>[#jsonKey]".
	SecretsManager SecretKind = "secretsmanager"
	// SSMParameter is "ssm:/parameter/name", an SSM SecureString read with decryption.
	SSMParameter SecretKind = "ssm"
	// EnvVar is "env:NAME", read from the function's environment (local profile only).
	EnvVar SecretKind = "env"
	// Literal is the value itself (local profile only).
	Literal SecretKind = "literal"
)

const (
	ssmPrefix = "ssm:"
	envPrefix = "env:"
	arnPrefix = "arn:"
)

// MaxSSMParameterNameLength is the longest SSM parameter name, including its
// path. https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html
const MaxSSMParameterNameLength = 2048

var (
	secretARNRE = regexp.MustCompile(`^arn:aws(-[a-z]+)*:secretsmanager:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}(#[^#\s]+)?$`)
	ssmNameRE   = regexp.MustCompile(`^/?[A-Za-z0-9_.\-/]+$`)
	envNameRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Kind classifies the reference by its prefix: "arn:" is Secrets Manager,
// "ssm:" an SSM parameter, "env:" an environment variable, anything else a
// literal value.
func (r SecretRef) Kind() SecretKind {
	s := string(r)
	switch {
	case s == "":
		return SecretNone
	case strings.HasPrefix(s, arnPrefix):
		return SecretsManager
	case strings.HasPrefix(s, ssmPrefix):
		return SSMParameter
	case strings.HasPrefix(s, envPrefix):
		return EnvVar
	}
	return Literal
}

// ARN is the Secrets Manager secret ARN without any "#jsonKey" suffix, or ""
// for other kinds.
func (r SecretRef) ARN() string {
	if r.Kind() != SecretsManager {
		return ""
	}
	arn, _, _ := strings.Cut(string(r), "#")
	return arn
}

// JSONKey is the key after "#" in a Secrets Manager reference: the secret
// is a JSON object and the value is that key's. "" means the whole secret.
func (r SecretRef) JSONKey() string {
	if r.Kind() != SecretsManager {
		return ""
	}
	_, key, _ := strings.Cut(string(r), "#")
	return key
}

// ParameterName is the SSM parameter name of an "ssm:" reference, or "".
func (r SecretRef) ParameterName() string {
	if r.Kind() != SSMParameter {
		return ""
	}
	return strings.TrimPrefix(string(r), ssmPrefix)
}

// EnvName is the variable name of an "env:" reference, or "".
func (r SecretRef) EnvName() string {
	if r.Kind() != EnvVar {
		return ""
	}
	return strings.TrimPrefix(string(r), envPrefix)
}

// Deployable reports whether synth accepts the reference: a Secrets Manager
// ARN or an SSM parameter.
func (r SecretRef) Deployable() bool {
	k := r.Kind()
	return k == SecretsManager || k == SSMParameter
}

// String never prints a literal secret, so a SecretRef is safe to log.
func (r SecretRef) String() string {
	if r.Kind() == Literal {
		return "literal:<redacted>"
	}
	return string(r)
}

// Check reports whether the reference is well formed for its kind.
func (r SecretRef) Check() error {
	s := string(r)
	switch r.Kind() {
	case SecretsManager:
		if !secretARNRE.MatchString(s) {
			return fmt.Errorf("%q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>, optionally #jsonKey)", s)
		}
	case SSMParameter:
		name := r.ParameterName()
		switch {
		case name == "":
			return fmt.Errorf("%q names no SSM parameter (use ssm:/path/name)", s)
		case len(name) > MaxSSMParameterNameLength:
			return fmt.Errorf("SSM parameter name is longer than %d characters", MaxSSMParameterNameLength)
		case !ssmNameRE.MatchString(name) || strings.Contains(name, "//") || (strings.HasSuffix(name, "/") && len(name) > 1):
			return fmt.Errorf("%q is not a valid SSM parameter name (letters, digits, _ . - and / separators)", name)
		}
	case EnvVar:
		if !envNameRE.MatchString(r.EnvName()) {
			return fmt.Errorf("%q is not a valid environment variable reference (env:NAME)", s)
		}
	}
	return nil
}

// secretField is one SecretRef field of a channel and its YAML key.
type secretField struct {
	key string
	ref *SecretRef
}

// secretFields lists the channel's secret references in a fixed order.
func (ch *Channel) secretFields() []secretField {
	return []secretField{
		{"webhook_url", &ch.WebhookURL},
		{"token", &ch.Token},
		{"routing_key", &ch.RoutingKey},
		{"signing_secret", &ch.SigningSecret},
	}
}
