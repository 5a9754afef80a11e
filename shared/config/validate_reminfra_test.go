package config

import (
	"slices"
	"strings"
	"testing"
)

// Mistakes in the trail storage, data events and cross-account keys, each
// reported at its key.
func TestValidateTrailAndCrossAccount(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, body, at, want string
	}{
		{"glacier negative", "trail:\n  glacier_after_days: -1\n", "3:3", "trail.glacier_after_days: must be 0 (never)"},
		{"expire negative", "trail:\n  expire_after_days: -5\n", "3:3", "trail.expire_after_days: must be 0 (keep)"},
		{"expire before glacier", "trail:\n  glacier_after_days: 90\n  expire_after_days: 90\n", "4:3", "90 must be later than glacier_after_days (90)"},
		{"expire default before glacier", "trail:\n  glacier_after_days: 400\n", "2:1", "365 must be later than glacier_after_days (400)"},
		{"data events without trail", "trail:\n  log_group_name: existing\n  data_events:\n    lambda: true\n", "4:3", "trail.data_events: data events are recorded only by a trail this stack creates"},
		{"data event bucket", "trail:\n  data_events:\n    s3_buckets: [Bad_Bucket]\n", "4:18", `trail.data_events.s3_buckets[0]: "Bad_Bucket" is not an S3 bucket name`},
		{"data event bucket twice", "trail:\n  data_events:\n    s3_buckets: [logs, logs]\n", "4:24", `bucket "logs" listed twice`},
		{"role name", "remediation:\n  cross_account:\n    role_name: \"has space\"\n", "4:5", `remediation.cross_account.role_name: "has space" is not an IAM role name`},
		{"role name too long", "remediation:\n  cross_account:\n    role_name: " + long(MaxIAMRoleNameLength+1) + "\n", "4:5", "is not an IAM role name"},
		{"external id short", "remediation:\n  cross_account:\n    external_id: x\n", "4:5", "remediation.cross_account.external_id: is not an external id"},
		{"external id chars", "remediation:\n  cross_account:\n    external_id: \"a b c\"\n", "4:5", "is not an external id"},
		{"member account", "remediation:\n  cross_account:\n    accounts: [\"12345\"]\n", "4:16", `remediation.cross_account.accounts[0]: "12345" is not a 12-digit account id`},
		{"member account twice", "remediation:\n  cross_account:\n    accounts: [\"111111111111\", \"111111111111\"]\n", "4:32", `account "111111111111" listed twice`},
		{"never quarantine glob", "remediation:\n  guardrails:\n    never_quarantine: [\"arn:aws:iam::*:role/[x]\"]\n", "4:24", "remediation.guardrails.never_quarantine[0]: \"arn:aws:iam::*:role/[x]\" is not a valid pattern"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("v.yaml", []byte("version: 1\n"+tc.body))
			wantError(t, err, tc.at, tc.want)
		})
	}
}

// Limits and defaults of the new keys: at the limits they load; unset they
// take the documented defaults; an explicit empty never_quarantine stays empty.
func TestTrailAndCrossAccountDefaults(t *testing.T) {
	buckets := make([]string, MaxS3DataEventBuckets)
	for i := range buckets {
		buckets[i] = "b" + strings.Repeat("0", 3) + string(rune('a'+i%26)) + strings.Repeat("x", i/26)
	}
	cfg, err := Parse("v.yaml", []byte("version: 1\ntrail:\n  glacier_after_days: 0\n  expire_after_days: 0\n  data_events:\n    lambda: true\n    s3_buckets: ["+strings.Join(buckets, ", ")+"]\n"+
		"remediation:\n  cross_account:\n    external_id: "+strings.Repeat("e", MaxExternalIDLength)+"\n    accounts: [\"111111111111\"]\n  guardrails:\n    never_quarantine: []\n"))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Trail.GlacierAfterDays != 0 || cfg.Trail.ExpireAfterDays != 0 || len(cfg.Trail.DataEvents.S3Buckets) != MaxS3DataEventBuckets {
		t.Errorf("explicit zeros and %d buckets not kept: %+v", MaxS3DataEventBuckets, cfg.Trail)
	}
	if len(cfg.Remediation.Guardrails.NeverQuarantine) != 0 {
		t.Errorf("explicit empty never_quarantine replaced by %v", cfg.Remediation.Guardrails.NeverQuarantine)
	}
	if cfg.Remediation.CrossAccount.RoleName != DefaultCrossAccountRole {
		t.Errorf("role_name = %q", cfg.Remediation.CrossAccount.RoleName)
	}

	_, err = Parse("v.yaml", []byte("version: 1\ntrail:\n  data_events:\n    s3_buckets: ["+strings.Join(append(buckets, "onemore"), ", ")+"]\n"))
	wantError(t, err, "4:5", "251 buckets; a trail's event selectors take at most 250")

	def, err := Parse("v.yaml", []byte("version: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	if def.Trail.GlacierAfterDays != DefaultGlacierAfterDays || def.Trail.ExpireAfterDays != DefaultExpireAfterDays {
		t.Errorf("trail lifecycle defaults = %d/%d", def.Trail.GlacierAfterDays, def.Trail.ExpireAfterDays)
	}
	if !slices.Equal(def.Remediation.Guardrails.NeverQuarantine, DefaultNeverQuarantine()) {
		t.Errorf("never_quarantine default = %v", def.Remediation.Guardrails.NeverQuarantine)
	}
	if def.Remediation.CrossAccount.RoleName != "WatchkeeperRemediation" || len(def.Remediation.CrossAccount.Accounts) != 0 {
		t.Errorf("cross_account default = %+v", def.Remediation.CrossAccount)
	}
}
