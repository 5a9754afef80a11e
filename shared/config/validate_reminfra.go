package config

import (
	"regexp"
	"strings"
)

// MaxIAMRoleNameLength is the longest IAM role name.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html#reference_iam-quotas-names
const MaxIAMRoleNameLength = 64

// External id length bounds of sts:AssumeRole.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
const (
	MinExternalIDLength = 2
	MaxExternalIDLength = 1224
)

// MaxS3DataEventBuckets bounds trail.data_events.s3_buckets: a trail's basic
// event selectors hold at most 250 data resources.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/WhatIsCloudTrail-Limits.html
const MaxS3DataEventBuckets = 250

var (
	iamRoleNameRE = regexp.MustCompile(`^[\w+=,.@-]+$`)
	externalIDRE  = regexp.MustCompile(`^[\w+=,.@:/-]+$`)
)

// trailStorage checks the created trail's bucket lifecycle and data events.
func (v *validator) trailStorage() {
	t := &v.c.Trail
	const p = "trail"
	if t.GlacierAfterDays < 0 {
		v.errf(p+".glacier_after_days", "must be 0 (never) or a number of days")
	}
	if t.ExpireAfterDays < 0 {
		v.errf(p+".expire_after_days", "must be 0 (keep) or a number of days")
	}
	// S3 rejects a lifecycle rule that expires objects before, or on the
	// day, it transitions them.
	if t.GlacierAfterDays > 0 && t.ExpireAfterDays > 0 && t.ExpireAfterDays <= t.GlacierAfterDays {
		v.errf(p+".expire_after_days", "%d must be later than glacier_after_days (%d), or 0 to keep the logs",
			t.ExpireAfterDays, t.GlacierAfterDays)
	}
	created := t.Create == nil || *t.Create
	de := t.DataEvents
	if !created && (len(de.S3Buckets) > 0 || de.Lambda) {
		v.errf(p+".data_events", "data events are recorded only by a trail this stack creates (create: true)")
	}
	if len(de.S3Buckets) > MaxS3DataEventBuckets {
		v.errf(p+".data_events.s3_buckets", "%d buckets; a trail's event selectors take at most %d", len(de.S3Buckets), MaxS3DataEventBuckets)
	}
	seen := map[string]bool{}
	for i, b := range de.S3Buckets {
		bp := indexPath(p+".data_events.s3_buckets", i)
		if !bucketRE.MatchString(b) || strings.Contains(b, "..") {
			v.errf(bp, "%q is not an S3 bucket name", b)
		}
		if seen[b] {
			v.errf(bp, "bucket %q listed twice", b)
		}
		seen[b] = true
	}
}

// crossAccount checks remediation.cross_account and never_quarantine.
func (v *validator) crossAccount() {
	r := &v.c.Remediation
	const p = "remediation.cross_account"
	ca := &r.CrossAccount
	if len(ca.RoleName) > MaxIAMRoleNameLength || !iamRoleNameRE.MatchString(ca.RoleName) {
		v.errf(p+".role_name", "%q is not an IAM role name (≤ %d of A-Z a-z 0-9 + = , . @ _ -)", ca.RoleName, MaxIAMRoleNameLength)
	}
	if ca.ExternalID != "" && (len(ca.ExternalID) < MinExternalIDLength || len(ca.ExternalID) > MaxExternalIDLength || !externalIDRE.MatchString(ca.ExternalID)) {
		v.errf(p+".external_id", "is not an external id (%d to %d of A-Z a-z 0-9 + = , . @ : / _ -)", MinExternalIDLength, MaxExternalIDLength)
	}
	seen := map[string]bool{}
	for i, a := range ca.Accounts {
		ap := indexPath(p+".accounts", i)
		if !accountRE.MatchString(a) {
			v.errf(ap, "%q is not a 12-digit account id", a)
		}
		if seen[a] {
			v.errf(ap, "account %q listed twice", a)
		}
		seen[a] = true
	}
	for i, a := range r.Guardrails.NeverQuarantine {
		if strings.TrimSpace(a) == "" || strings.ContainsAny(a, `[]{}\`) {
			v.errf(indexPath("remediation.guardrails.never_quarantine", i), "%q is not a valid pattern (only * and ? are wildcards)", a)
		}
	}
}
