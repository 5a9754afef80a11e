package config

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
)

// SecretValueGetter is the part of the Secrets Manager client the Resolver uses.
type SecretValueGetter interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// ParameterGetter is the part of the SSM client the Resolver uses.
type ParameterGetter interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, opts ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

var (
	_ SecretValueGetter = (*secretsmanager.Client)(nil)
	_ ParameterGetter   = (*ssm.Client)(nil)
)

// ErrSecretUnavailable is wrapped by Resolve errors for references whose
// source is not configured (no client, variable unset).
var ErrSecretUnavailable = errors.New("secret source not available")

// Resolver turns SecretRefs into values at run time. Values are cached for
// the life of the Resolver (one per Lambda container), so each secret is
// fetched once per cold start. It is safe for concurrent use. Errors never
// contain secret values.
type Resolver struct {
	sm     SecretValueGetter
	ps     ParameterGetter
	lookup func(string) (string, bool)

	mu    sync.Mutex
	cache map[string]string // raw secret by ARN or "ssm:" name; env values by "env:" name
}

// ResolverOption configures a Resolver.
type ResolverOption func(*Resolver)

// WithSecretsManager lets the Resolver read Secrets Manager references.
func WithSecretsManager(c SecretValueGetter) ResolverOption {
	return func(r *Resolver) { r.sm = c }
}

// WithSSM lets the Resolver read ssm: references (SecureStrings are decrypted).
func WithSSM(c ParameterGetter) ResolverOption {
	return func(r *Resolver) { r.ps = c }
}

// WithEnv lets the Resolver read env: references through lookup
// (os.LookupEnv in main, a map in tests).
func WithEnv(lookup func(string) (string, bool)) ResolverOption {
	return func(r *Resolver) { r.lookup = lookup }
}

// NewResolver builds a Resolver. Literal references always resolve to
// themselves; the other kinds need the matching option.
func NewResolver(opts ...ResolverOption) *Resolver {
	r := &Resolver{cache: map[string]string{}}
	for _, o := range opts {
		o(r)
	}
	return r
}

// Resolve returns the value ref points at. An empty ref resolves to "".
func (r *Resolver) Resolve(ctx context.Context, ref SecretRef) (string, error) {
	if err := ref.Check(); err != nil {
		return "", fmt.Errorf("resolve secret: %w", err)
	}
	switch ref.Kind() {
	case SecretNone:
		return "", nil
	case Literal:
		return string(ref), nil
	case EnvVar:
		return r.env(ref.EnvName())
	case SSMParameter:
		return r.cached(ctx, string(ref), r.fetchParameter)
	case SecretsManager:
		raw, err := r.cached(ctx, ref.ARN(), r.fetchSecret)
		if err != nil {
			return "", err
		}
		if key := ref.JSONKey(); key != "" {
			return jsonField(ref.ARN(), raw, key)
		}
		return raw, nil
	}
	return "", fmt.Errorf("resolve secret: unknown kind %q", ref.Kind())
}

func (r *Resolver) env(name string) (string, error) {
	if r.lookup == nil {
		return "", fmt.Errorf("resolve env:%s: no environment lookup configured: %w", name, ErrSecretUnavailable)
	}
	v, ok := r.lookup(name)
	if !ok {
		return "", fmt.Errorf("resolve env:%s: variable not set: %w", name, ErrSecretUnavailable)
	}
	return v, nil
}

// cached returns the value under key, fetching it once. Failures are not
// cached, so a later call retries.
func (r *Resolver) cached(ctx context.Context, key string, fetch func(context.Context, string) (string, error)) (string, error) {
	r.mu.Lock()
	v, ok := r.cache[key]
	r.mu.Unlock()
	if ok {
		return v, nil
	}
	v, err := fetch(ctx, key)
	if err != nil {
		return "", err
	}
	r.mu.Lock()
	r.cache[key] = v
	r.mu.Unlock()
	return v, nil
}

func (r *Resolver) fetchSecret(ctx context.Context, arn string) (string, error) {
	if r.sm == nil {
		return "", fmt.Errorf("resolve %s: no Secrets Manager client configured: %w", arn, ErrSecretUnavailable)
	}
	out, err := r.sm.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(arn)})
	if err != nil {
		return "", fmt.Errorf("get secret %s: %w", arn, err)
	}
	if out.SecretString != nil {
		return *out.SecretString, nil
	}
	if out.SecretBinary != nil {
		return string(out.SecretBinary), nil
	}
	return "", fmt.Errorf("get secret %s: no value in the current version", arn)
}

func (r *Resolver) fetchParameter(ctx context.Context, ref string) (string, error) {
	name := SecretRef(ref).ParameterName()
	if r.ps == nil {
		return "", fmt.Errorf("resolve %s: no SSM client configured: %w", ref, ErrSecretUnavailable)
	}
	out, err := r.ps.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(true)})
	if err != nil {
		return "", fmt.Errorf("get parameter %s: %w", name, err)
	}
	if out.Parameter == nil || out.Parameter.Value == nil {
		return "", fmt.Errorf("get parameter %s: no value returned", name)
	}
	return *out.Parameter.Value, nil
}

// jsonField picks key from a JSON-object secret. String values are returned
// as is; numbers and booleans as their JSON text.
func jsonField(arn, raw, key string) (string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &obj); err != nil {
		// The decode error may quote the secret; don't pass it on.
		return "", fmt.Errorf("secret %s is not a JSON object, so #%s cannot be read from it", arn, key)
	}
	val, ok := obj[key]
	if !ok {
		return "", fmt.Errorf("secret %s has no key %q", arn, key)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(val))
	dec.UseNumber()
	if err := dec.Decode(&v); err == nil {
		switch x := v.(type) {
		case string:
			return x, nil
		case json.Number:
			return x.String(), nil
		case bool:
			return strconv.FormatBool(x), nil
		}
	}
	return "", fmt.Errorf("secret %s key %q is not a string, number or boolean", arn, key)
}
