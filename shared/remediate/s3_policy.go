package remediate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// errNoBucketPolicy is S3's error code for a bucket without a policy.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetBucketPolicy.html
const errNoBucketPolicy = "NoSuchBucketPolicy"

// maxBucketPolicy is the largest bucket policy S3 accepts (20 KB); a larger
// document is not a bucket policy and is not parsed.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/BucketRestrictions.html
const maxBucketPolicy = 20 * 1024

// publicStatements splits a bucket policy into the statements that grant
// the world access and the rest. A statement grants the world access when
// its Effect is Allow, its Principal is "*" or {"AWS": "*"} (alone or in a
// list), and it has no Condition: any Condition (a source VPC, an
// organization id, an IP range) is taken as restricting it. NotPrincipal
// statements are kept as written. doc keeps every other top-level key
// (Version, Id) for rebuilding.
func publicStatements(policy string) (doc map[string]json.RawMessage, public, kept []json.RawMessage, err error) {
	if len(policy) > maxBucketPolicy {
		return nil, nil, nil, fmt.Errorf("bucket policy is %d bytes, more than the %d S3 allows", len(policy), maxBucketPolicy)
	}
	if err := json.Unmarshal([]byte(policy), &doc); err != nil {
		return nil, nil, nil, fmt.Errorf("bucket policy is not a JSON object: %w", err)
	}
	raw := bytes.TrimSpace(doc["Statement"])
	var stmts []json.RawMessage
	switch {
	case len(raw) == 0 || string(raw) == "null":
	case raw[0] == '[':
		if err := json.Unmarshal(raw, &stmts); err != nil {
			return nil, nil, nil, fmt.Errorf("bucket policy Statement: %w", err)
		}
	default:
		stmts = []json.RawMessage{raw}
	}
	for _, s := range stmts {
		var st struct {
			Effect    string
			Principal json.RawMessage
			Condition json.RawMessage
		}
		if err := json.Unmarshal(s, &st); err != nil {
			return nil, nil, nil, fmt.Errorf("bucket policy statement %s: %w", truncate(string(s), 80), err)
		}
		if st.Effect == "Allow" && worldPrincipal(st.Principal) && emptyJSON(st.Condition) {
			public = append(public, s)
		} else {
			kept = append(kept, s)
		}
	}
	return doc, public, kept, nil
}

// worldPrincipal reports whether a policy Principal is everyone: "*", or
// an AWS principal list holding "*".
func worldPrincipal(raw json.RawMessage) bool {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s == "*"
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return false
	}
	aws := m["AWS"]
	if json.Unmarshal(aws, &s) == nil {
		return s == "*"
	}
	var list []string
	if json.Unmarshal(aws, &list) == nil {
		for _, p := range list {
			if p == "*" {
				return true
			}
		}
	}
	return false
}

func emptyJSON(raw json.RawMessage) bool {
	t := string(bytes.TrimSpace(raw))
	return t == "" || t == "null" || t == "{}"
}

// rebuildPolicy writes doc with its statements replaced by kept.
func rebuildPolicy(doc map[string]json.RawMessage, kept []json.RawMessage) (string, error) {
	if kept == nil {
		kept = []json.RawMessage{}
	}
	stmts, err := json.Marshal(kept)
	if err != nil {
		return "", fmt.Errorf("encode kept statements: %w", err)
	}
	out := make(map[string]json.RawMessage, len(doc))
	for k, v := range doc {
		out[k] = v
	}
	out["Statement"] = stmts
	b, err := json.Marshal(out)
	if err != nil {
		return "", fmt.Errorf("encode bucket policy: %w", err)
	}
	return string(b), nil
}

// bucketPolicy returns the bucket's policy, or "" when it has none.
func bucketPolicy(ctx context.Context, c S3API, bucket string) (string, error) {
	out, err := c.GetBucketPolicy(ctx, &s3.GetBucketPolicyInput{Bucket: aws.String(bucket)})
	if err != nil {
		if apiErrorCode(err) == errNoBucketPolicy {
			return "", nil
		}
		return "", fmt.Errorf("get policy of bucket %s: %w", bucket, err)
	}
	return aws.ToString(out.Policy), nil
}

// s3RemovePublicPolicyStatements drops the statements of a bucket policy
// that allow anyone in without a Condition, keeping the rest; a policy left
// without statements is deleted.
type s3RemovePublicPolicyStatements struct{}

// bucketPolicyPlan is s3-remove-public-policy-statements' Plan.Data.
type bucketPolicyPlan struct {
	Bucket string
	// Old is the policy when planned, the undo's input; New is what Apply
	// writes, "" to delete the policy.
	Old, New string
	Removed  int
}

func (s3RemovePublicPolicyStatements) Name() string { return "s3-remove-public-policy-statements" }

func (s3RemovePublicPolicyStatements) Schema() ParamSchema { return ParamSchema{} }

func (s3RemovePublicPolicyStatements) Permissions() []string {
	return []string{"s3:GetBucketPolicy", "s3:GetBucketTagging", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}
}

func (s3RemovePublicPolicyStatements) Example() string {
	return `remediation:
  rules:
    - name: drop-public-bucket-statements
      matchers: ['event_name=PutBucketPolicy']
      action: s3-remove-public-policy-statements
      mode: enforce
`
}

// Target takes the bucket from requestParameters.bucketName of an S3 API
// call (PutBucketPolicy) or a bucket resource of a finding.
func (s3RemovePublicPolicyStatements) Target(a alert.Alert, p Params) (Target, error) {
	return s3BlockPublicAccess{}.Target(a, p)
}

func (s s3RemovePublicPolicyStatements) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.S3 == nil {
		return Plan{}, missing("S3")
	}
	old, err := bucketPolicy(ctx, c.S3, t.ID)
	if err != nil {
		return Plan{}, err
	}
	tags, err := bucketTags(ctx, c.S3, t.ID)
	if err != nil {
		return Plan{}, err
	}
	d := &bucketPolicyPlan{Bucket: t.ID, Old: old}
	plan := Plan{Action: s.Name(), Target: t, Data: d, Tags: tags, TagsRead: true}
	if old == "" {
		plan.Summary = fmt.Sprintf("bucket %s has no policy", t.ID)
		return plan, nil
	}
	doc, public, kept, err := publicStatements(old)
	if err != nil {
		return Plan{}, fmt.Errorf("bucket %s: %w", t.ID, err)
	}
	if len(public) == 0 {
		plan.Summary = fmt.Sprintf("the policy of bucket %s grants the world nothing without a condition", t.ID)
		return plan, nil
	}
	d.Removed = len(public)
	if len(kept) > 0 {
		if d.New, err = rebuildPolicy(doc, kept); err != nil {
			return Plan{}, err
		}
	}
	for _, st := range public {
		plan.Changes = append(plan.Changes, "remove public statement "+statementName(st))
	}
	if len(kept) == 0 {
		plan.Changes = append(plan.Changes, "delete the policy (no statement left)")
	}
	plan.Summary = fmt.Sprintf("remove %d public statements from the policy of bucket %s, keep %d", len(public), t.ID, len(kept))
	return plan, nil
}

// statementName is a statement's Sid, or its text cut short.
func statementName(st json.RawMessage) string {
	var s struct{ Sid string }
	if json.Unmarshal(st, &s) == nil && s.Sid != "" {
		return truncate(s.Sid, 80)
	}
	return truncate(string(st), 80)
}

func (s3RemovePublicPolicyStatements) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*bucketPolicyPlan](p)
	if err != nil {
		return err
	}
	if c.S3 == nil {
		return missing("S3")
	}
	now, err := bucketPolicy(ctx, c.S3, d.Bucket)
	if err != nil {
		return err
	}
	if now == "" && d.New == "" {
		return nil
	}
	if now != d.Old {
		if now != "" {
			if _, public, _, err := publicStatements(now); err == nil && len(public) == 0 {
				return nil
			}
		}
		// Writing the planned policy would drop whatever changed since.
		return fmt.Errorf("%w: the policy of bucket %s is not the one planned from", ErrChanged, d.Bucket)
	}
	if d.New == "" {
		if _, err := c.S3.DeleteBucketPolicy(ctx, &s3.DeleteBucketPolicyInput{Bucket: aws.String(d.Bucket)}); err != nil {
			return fmt.Errorf("delete policy of bucket %s: %w", d.Bucket, err)
		}
		return nil
	}
	if _, err := c.S3.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String(d.Bucket), Policy: aws.String(d.New)}); err != nil {
		return fmt.Errorf("put policy of bucket %s: %w", d.Bucket, err)
	}
	return nil
}

func (s3RemovePublicPolicyStatements) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*bucketPolicyPlan](p)
	if err != nil {
		return err
	}
	if c.S3 == nil {
		return missing("S3")
	}
	now, err := bucketPolicy(ctx, c.S3, d.Bucket)
	if err != nil || now == "" {
		return err
	}
	_, public, _, err := publicStatements(now)
	if err != nil {
		return fmt.Errorf("%w: bucket %s: %w", ErrVerify, d.Bucket, err)
	}
	if len(public) > 0 {
		return fmt.Errorf("%w: the policy of bucket %s still has %d public statements", ErrVerify, d.Bucket, len(public))
	}
	return nil
}

// Undo puts the old policy back, JSON and all.
func (s3RemovePublicPolicyStatements) Undo(p Plan) string {
	d, err := planData[*bucketPolicyPlan](p)
	if err != nil || d.Old == "" {
		return ""
	}
	return cli("s3api", "put-bucket-policy", "--bucket", d.Bucket, "--policy", d.Old)
}

// Server-side encryption algorithms of S3 default encryption.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html
const (
	sseS3  = "AES256"
	sseKMS = "aws:kms"
)

// errNoEncryption is S3's error code for a bucket without an encryption
// configuration (rare since S3 encrypts every new bucket with SSE-S3).
const errNoEncryption = "ServerSideEncryptionConfigurationNotFoundError"

// s3DefaultEncryption sets a bucket's default encryption to SSE-S3 or to
// SSE-KMS with a given key (CIS AWS Foundations 2.1.1 in its older form;
// still how a team moves buckets to its own key).
type s3DefaultEncryption struct{}

// encryption is one bucket's default encryption rule.
type encryption struct {
	Algorithm, KeyID string
	BucketKey        bool
}

// encryptionPlan is s3-default-encryption's Plan.Data.
type encryptionPlan struct {
	Bucket  string
	Before  encryption
	Existed bool
	Want    encryption
}

func (s3DefaultEncryption) Name() string { return "s3-default-encryption" }

func (s3DefaultEncryption) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "algorithm", Type: TypeString, Default: sseS3, Description: "AES256 (SSE-S3) or aws:kms (SSE-KMS)"},
		{Name: "kms_key_id", Type: TypeString, Description: "KMS key ARN, id or alias for aws:kms; required with it"},
		{Name: "bucket_key", Type: TypeBool, Default: true, Description: "use an S3 Bucket Key with aws:kms to cut KMS requests"},
	}, Check: func(p Params) error {
		switch p.String("algorithm") {
		case sseS3:
			if p.Has("kms_key_id") {
				return errors.New("kms_key_id is set but algorithm is AES256")
			}
		case sseKMS:
			if p.String("kms_key_id") == "" {
				return errors.New("algorithm aws:kms needs kms_key_id")
			}
		default:
			return fmt.Errorf("algorithm %q is not AES256 or aws:kms", truncate(p.String("algorithm"), 40))
		}
		return nil
	}}
}

func (s3DefaultEncryption) Permissions() []string {
	return []string{"s3:GetEncryptionConfiguration", "s3:GetBucketTagging", "s3:PutEncryptionConfiguration"}
}

func (s3DefaultEncryption) Example() string {
	return `remediation:
  rules:
    - name: buckets-use-our-key
      matchers: ['event_name=~CreateBucket|DeleteBucketEncryption|PutBucketEncryption']
      action: s3-default-encryption
      params:
        algorithm: aws:kms
        kms_key_id: arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
`
}

// Target takes the bucket from requestParameters.bucketName of an S3 API
// call or a bucket resource of a finding.
func (s3DefaultEncryption) Target(a alert.Alert, p Params) (Target, error) {
	return s3BlockPublicAccess{}.Target(a, p)
}

func readEncryption(ctx context.Context, c S3API, bucket string) (encryption, bool, error) {
	out, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(bucket)})
	if err != nil {
		if apiErrorCode(err) == errNoEncryption {
			return encryption{}, false, nil
		}
		return encryption{}, false, fmt.Errorf("get encryption of bucket %s: %w", bucket, err)
	}
	if out.ServerSideEncryptionConfiguration == nil || len(out.ServerSideEncryptionConfiguration.Rules) == 0 {
		return encryption{}, false, nil
	}
	r := out.ServerSideEncryptionConfiguration.Rules[0]
	e := encryption{BucketKey: aws.ToBool(r.BucketKeyEnabled)}
	if d := r.ApplyServerSideEncryptionByDefault; d != nil {
		e.Algorithm, e.KeyID = string(d.SSEAlgorithm), aws.ToString(d.KMSMasterKeyID)
	}
	return e, true, nil
}

// satisfies reports whether the bucket's rule is the wanted one.
func (e encryption) satisfies(want encryption) bool {
	if e.Algorithm != want.Algorithm {
		return false
	}
	return want.Algorithm != sseKMS || (e.KeyID == want.KeyID && e.BucketKey == want.BucketKey)
}

func (e encryption) String() string {
	if e.Algorithm == "" {
		return "none"
	}
	if e.KeyID != "" {
		return e.Algorithm + " with " + e.KeyID
	}
	return e.Algorithm
}

func (s s3DefaultEncryption) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.S3 == nil {
		return Plan{}, missing("S3")
	}
	before, existed, err := readEncryption(ctx, c.S3, t.ID)
	if err != nil {
		return Plan{}, err
	}
	tags, err := bucketTags(ctx, c.S3, t.ID)
	if err != nil {
		return Plan{}, err
	}
	want := encryption{Algorithm: p.String("algorithm"), KeyID: p.String("kms_key_id")}
	if want.Algorithm == sseKMS {
		want.BucketKey = p.Bool("bucket_key")
	}
	d := &encryptionPlan{Bucket: t.ID, Before: before, Existed: existed, Want: want}
	plan := Plan{Action: s.Name(), Target: t, Data: d, Tags: tags, TagsRead: true}
	if existed && before.satisfies(want) {
		plan.Summary = fmt.Sprintf("bucket %s already encrypts with %s", t.ID, want)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("set default encryption of bucket %s from %s to %s", t.ID, before, want)
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (s3DefaultEncryption) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*encryptionPlan](p)
	if err != nil {
		return err
	}
	if c.S3 == nil {
		return missing("S3")
	}
	now, existed, err := readEncryption(ctx, c.S3, d.Bucket)
	if err != nil || (existed && now.satisfies(d.Want)) {
		return err
	}
	if _, err := c.S3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{
		Bucket: aws.String(d.Bucket), ServerSideEncryptionConfiguration: encryptionConfig(d.Want),
	}); err != nil {
		return fmt.Errorf("put encryption %s on bucket %s: %w", d.Want, d.Bucket, err)
	}
	return nil
}

func (s3DefaultEncryption) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*encryptionPlan](p)
	if err != nil {
		return err
	}
	if c.S3 == nil {
		return missing("S3")
	}
	now, existed, err := readEncryption(ctx, c.S3, d.Bucket)
	if err != nil {
		return err
	}
	if !existed || !now.satisfies(d.Want) {
		return fmt.Errorf("%w: bucket %s encrypts with %s, want %s", ErrVerify, d.Bucket, now, d.Want)
	}
	return nil
}

// Undo puts the old rule back, or deletes the configuration there was none.
func (s3DefaultEncryption) Undo(p Plan) string {
	d, err := planData[*encryptionPlan](p)
	if err != nil {
		return ""
	}
	if !d.Existed {
		return cli("s3api", "delete-bucket-encryption", "--bucket", d.Bucket)
	}
	return cli("s3api", "put-bucket-encryption", "--bucket", d.Bucket, "--server-side-encryption-configuration",
		encryptionJSON(d.Before))
}

// encryptionJSON is the CLI's JSON form of one rule.
func encryptionJSON(e encryption) string {
	def := map[string]string{"SSEAlgorithm": e.Algorithm}
	if e.KeyID != "" {
		def["KMSMasterKeyID"] = e.KeyID
	}
	rule := map[string]any{"ApplyServerSideEncryptionByDefault": def}
	if e.BucketKey {
		rule["BucketKeyEnabled"] = true
	}
	b, err := json.Marshal(map[string]any{"Rules": []any{rule}})
	if err != nil {
		return ""
	}
	return string(b)
}

// s3EnableVersioning turns versioning on, so an overwrite or a delete (a
// ransomware pass over a bucket) keeps the old versions.
type s3EnableVersioning struct{}

// versioningPlan is s3-enable-versioning's Plan.Data.
type versioningPlan struct {
	Bucket string
	// Before is "" (never enabled) or "Suspended".
	Before string
}

func (s3EnableVersioning) Name() string { return "s3-enable-versioning" }

func (s3EnableVersioning) Schema() ParamSchema { return ParamSchema{} }

func (s3EnableVersioning) Permissions() []string {
	return []string{"s3:GetBucketVersioning", "s3:GetBucketTagging", "s3:PutBucketVersioning"}
}

func (s3EnableVersioning) Example() string {
	return `remediation:
  rules:
    - name: keep-versions
      matchers: ['event_name=PutBucketVersioning']
      action: s3-enable-versioning
      mode: enforce
`
}

// Target takes the bucket from requestParameters.bucketName of an S3 API
// call or a bucket resource of a finding.
func (s3EnableVersioning) Target(a alert.Alert, p Params) (Target, error) {
	return s3BlockPublicAccess{}.Target(a, p)
}

func versioningStatus(ctx context.Context, c S3API, bucket string) (string, error) {
	out, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(bucket)})
	if err != nil {
		return "", fmt.Errorf("get versioning of bucket %s: %w", bucket, err)
	}
	return string(out.Status), nil
}

func (s s3EnableVersioning) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.S3 == nil {
		return Plan{}, missing("S3")
	}
	st, err := versioningStatus(ctx, c.S3, t.ID)
	if err != nil {
		return Plan{}, err
	}
	tags, err := bucketTags(ctx, c.S3, t.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: s.Name(), Target: t, Data: &versioningPlan{Bucket: t.ID, Before: st}, Tags: tags, TagsRead: true}
	if st == string(s3VersioningEnabled) {
		plan.Summary = fmt.Sprintf("bucket %s is versioned", t.ID)
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("enable versioning on bucket %s (%s)", t.ID, strings.ToLower(orUnset(st)))
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (s3EnableVersioning) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*versioningPlan](p)
	if err != nil {
		return err
	}
	if c.S3 == nil {
		return missing("S3")
	}
	st, err := versioningStatus(ctx, c.S3, d.Bucket)
	if err != nil || st == string(s3VersioningEnabled) {
		return err
	}
	if _, err := c.S3.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: aws.String(d.Bucket),
		VersioningConfiguration: versioningConfig()}); err != nil {
		return fmt.Errorf("enable versioning on bucket %s: %w", d.Bucket, err)
	}
	return nil
}

func (s3EnableVersioning) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*versioningPlan](p)
	if err != nil {
		return err
	}
	if c.S3 == nil {
		return missing("S3")
	}
	st, err := versioningStatus(ctx, c.S3, d.Bucket)
	if err != nil {
		return err
	}
	if st != string(s3VersioningEnabled) {
		return fmt.Errorf("%w: versioning of bucket %s is %s", ErrVerify, d.Bucket, orUnset(st))
	}
	return nil
}

// Undo suspends versioning: S3 cannot take a bucket back to never versioned.
func (s3EnableVersioning) Undo(p Plan) string {
	d, err := planData[*versioningPlan](p)
	if err != nil {
		return ""
	}
	return cli("s3api", "put-bucket-versioning", "--bucket", d.Bucket, "--versioning-configuration", "Status=Suspended")
}

// s3VersioningEnabled is the versioning status the action wants.
const s3VersioningEnabled = s3types.BucketVersioningStatusEnabled

func versioningConfig() *s3types.VersioningConfiguration {
	return &s3types.VersioningConfiguration{Status: s3VersioningEnabled}
}

func encryptionConfig(e encryption) *s3types.ServerSideEncryptionConfiguration {
	def := &s3types.ServerSideEncryptionByDefault{SSEAlgorithm: s3types.ServerSideEncryption(e.Algorithm)}
	rule := s3types.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: def}
	if e.KeyID != "" {
		def.KMSMasterKeyID = aws.String(e.KeyID)
		rule.BucketKeyEnabled = aws.Bool(e.BucketKey)
	}
	return &s3types.ServerSideEncryptionConfiguration{Rules: []s3types.ServerSideEncryptionRule{rule}}
}
