package localrun

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Defaults of a local invocation, mirroring the function settings' defaults in config.
const (
	// DefaultRegion is used when the host sets neither AWS_REGION nor AWS_DEFAULT_REGION.
	DefaultRegion = "us-east-1"
	// DefaultFunctionTimeout matches the config default (60 s).
	DefaultFunctionTimeout = 60 * time.Second
	// DefaultMemoryMB matches the config default (256 MB).
	DefaultMemoryMB = 256
	// DummyCredential is the access key id and secret used when the host has none:
	// moto accepts anything, and a real endpoint rejects it.
	DummyCredential = "test"
)

// passExact are the host variables a function sees, besides the prefixed ones.
var passExact = []string{
	"PATH", "HOME", "TMPDIR",
	"AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
}

// passPrefixes select host variables by prefix: endpoint overrides
// (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>) and the suite's own.
var passPrefixes = []string{"AWS_ENDPOINT_URL", "WATCHKEEPER_"}

// functionEnv builds the emulator's environment (which it forwards to the
// function) from the host's "K=V" list: only the allowed host variables pass,
// region and credentials get local defaults, extra wins over the host, and
// the Lambda platform variables come from the options.
func functionEnv(host []string, extra map[string]string, name string, timeout time.Duration, memoryMB int, taskRoot string) []string {
	env := map[string]string{}
	for _, kv := range host {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			continue
		}
		if slices.Contains(passExact, k) || hasAnyPrefix(k, passPrefixes) {
			env[k] = v
		}
	}
	maps.Copy(env, extra)

	region := env["AWS_REGION"]
	if region == "" {
		region = env["AWS_DEFAULT_REGION"]
	}
	if region == "" {
		region = DefaultRegion
	}
	env["AWS_REGION"] = region
	if env["AWS_DEFAULT_REGION"] == "" {
		env["AWS_DEFAULT_REGION"] = region
	}
	if env["AWS_ACCESS_KEY_ID"] == "" || env["AWS_SECRET_ACCESS_KEY"] == "" {
		env["AWS_ACCESS_KEY_ID"] = DummyCredential
		env["AWS_SECRET_ACCESS_KEY"] = DummyCredential
		delete(env, "AWS_SESSION_TOKEN")
	}

	env["AWS_LAMBDA_FUNCTION_NAME"] = name
	env["AWS_LAMBDA_FUNCTION_TIMEOUT"] = strconv.Itoa(timeoutSeconds(timeout))
	env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] = strconv.Itoa(memoryMB)
	if _, ok := env["LAMBDA_TASK_ROOT"]; !ok && taskRoot != "" {
		env["LAMBDA_TASK_ROOT"] = taskRoot
	}
	// The emulator switches to its managed-instances mode when this is set.
	delete(env, "AWS_LAMBDA_MAX_CONCURRENCY")

	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// timeoutSeconds rounds a function timeout up to whole seconds, as Lambda configures it.
func timeoutSeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
