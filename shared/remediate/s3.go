package remediate

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// S3 error codes that mean "not configured" rather than failure.
// https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetPublicAccessBlock.html
const (
	errNoPublicAccessBlock = "NoSuchPublicAccessBlockConfiguration"
	errNoTagSet            = "NoSuchTagSet"
)

// Bucket name length bounds.
// https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
const (
	minBucketName = 3
	maxBucketName = 63
)

// s3BlockPublicAccess turns on all four S3 Block Public Access settings of a
// bucket (CIS AWS Foundations 2.1.4).
type s3BlockPublicAccess struct{}

// publicAccess is the four Block Public Access flags.
type publicAccess struct {
	BlockPublicAcls, IgnorePublicAcls, BlockPublicPolicy, RestrictPublicBuckets bool
}

func (p publicAccess) all() bool {
	return p.BlockPublicAcls && p.IgnorePublicAcls && p.BlockPublicPolicy && p.RestrictPublicBuckets
}

// off names the flags that are false.
func (p publicAccess) off() []string {
	var out []string
	for _, f := range []struct {
		name string
		on   bool
	}{
		{"BlockPublicAcls", p.BlockPublicAcls},
		{"IgnorePublicAcls", p.IgnorePublicAcls},
		{"BlockPublicPolicy", p.BlockPublicPolicy},
		{"RestrictPublicBuckets", p.RestrictPublicBuckets},
	} {
		if !f.on {
			out = append(out, f.name)
		}
	}
	return out
}

// plan fills in a plan that turns on the flags that are off; what names
// the bucket or account the flags belong to ("bucket logs").
func (p publicAccess) plan(plan *Plan, what string) {
	off := p.off()
	if len(off) == 0 {
		plan.Summary = what + " already blocks public access"
		return
	}
	for _, f := range off {
		plan.Changes = append(plan.Changes, "turn on "+f)
	}
	plan.Summary = fmt.Sprintf("on %s turn on %s", what, strings.Join(off, ", "))
}

// verify reports the flags still off as ErrVerify; what names their owner.
func (p publicAccess) verify(what string) error {
	if off := p.off(); len(off) > 0 {
		return fmt.Errorf("%w: %s still has %s off", ErrVerify, what, strings.Join(off, ", "))
	}
	return nil
}

// undo is the CLI command that puts these flags back, or deletes the
// configuration when none existed: service is s3api or s3control, owner its
// flag and value naming the bucket or account.
func (p publicAccess) undo(existed bool, service string, owner ...string) string {
	if !existed {
		return cli(append([]string{service, "delete-public-access-block"}, owner...)...)
	}
	return cli(append(append([]string{service, "put-public-access-block"}, owner...), "--public-access-block-configuration",
		fmt.Sprintf("BlockPublicAcls=%t,IgnorePublicAcls=%t,BlockPublicPolicy=%t,RestrictPublicBuckets=%t",
			p.BlockPublicAcls, p.IgnorePublicAcls, p.BlockPublicPolicy, p.RestrictPublicBuckets))...)
}

// s3Plan is s3-block-public-access's Plan.Data.
type s3Plan struct {
	Bucket string
	Before publicAccess
	// Existed is false when the bucket had no configuration at all, so the
	// undo deletes it rather than writing four falses.
	Existed bool
}

func (s3BlockPublicAccess) Name() string { return "s3-block-public-access" }

func (s3BlockPublicAccess) Schema() ParamSchema { return ParamSchema{} }

func (s3BlockPublicAccess) Permissions() []string {
	return []string{"s3:GetBucketPublicAccessBlock", "s3:GetBucketTagging", "s3:PutBucketPublicAccessBlock"}
}

func (s3BlockPublicAccess) Example() string {
	return `remediation:
  rules:
    - name: block-public-buckets
      matchers: ['event_name=~PutBucketPolicy|PutBucketAcl|DeletePublicAccessBlock']
      action: s3-block-public-access
`
}

// Target takes the bucket from requestParameters.bucketName of an S3 API
// call or from a bucket resource (ARN arn:aws:s3:::name) of a finding.
func (s3BlockPublicAccess) Target(a alert.Alert, _ Params) (Target, error) {
	t := Target{Type: "AWS::S3::Bucket", Region: regionOf(a), Account: accountOf(a)}
	if fromEvent(a, "s3.amazonaws.com") {
		if name := requestParam(a, "bucketName"); validBucketName(name) {
			t.ID, t.From = name, fromRequest+"bucketName"
			t.ARN = "arn:" + alert.Partition(t.Region) + ":s3:::" + name
			return t, nil
		}
	}
	if r, ok := resourceOfType(a, "AWS::S3::Bucket", "AwsS3Bucket"); ok && validBucketName(r.ID) {
		t.ID, t.ARN, t.From = r.ID, r.ARN, fromResource+r.Type
		return t, nil
	}
	return Target{}, noTarget("S3 bucket", "requestParameters.bucketName of S3 API calls", "bucket resources")
}

func validBucketName(s string) bool {
	return len(s) >= minBucketName && len(s) <= maxBucketName && !strings.ContainsAny(s, "/ \t\n")
}

func apiErrorCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// readPublicAccess returns the bucket's flags and whether any configuration exists.
func readPublicAccess(ctx context.Context, c S3API, bucket string) (publicAccess, bool, error) {
	out, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: aws.String(bucket)})
	if err != nil {
		if apiErrorCode(err) == errNoPublicAccessBlock {
			return publicAccess{}, false, nil
		}
		return publicAccess{}, false, fmt.Errorf("get public access block of bucket %s: %w", bucket, err)
	}
	cfg := out.PublicAccessBlockConfiguration
	if cfg == nil {
		return publicAccess{}, false, nil
	}
	return publicAccess{
		BlockPublicAcls:       aws.ToBool(cfg.BlockPublicAcls),
		IgnorePublicAcls:      aws.ToBool(cfg.IgnorePublicAcls),
		BlockPublicPolicy:     aws.ToBool(cfg.BlockPublicPolicy),
		RestrictPublicBuckets: aws.ToBool(cfg.RestrictPublicBuckets),
	}, true, nil
}

func bucketTags(ctx context.Context, c S3API, bucket string) (map[string]string, error) {
	out, err := c.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: aws.String(bucket)})
	if err != nil {
		if apiErrorCode(err) == errNoTagSet {
			return map[string]string{}, nil
		}
		return nil, fmt.Errorf("get tags of bucket %s: %w", bucket, err)
	}
	tags := make(map[string]string, len(out.TagSet))
	for _, t := range out.TagSet {
		tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return tags, nil
}

func (a s3BlockPublicAccess) Plan(ctx context.Context, c Clients, t Target, _ Params) (Plan, error) {
	if c.S3 == nil {
		return Plan{}, missing("S3")
	}
	before, existed, err := readPublicAccess(ctx, c.S3, t.ID)
	if err != nil {
		return Plan{}, err
	}
	tags, err := bucketTags(ctx, c.S3, t.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Action: a.Name(), Target: t, Data: &s3Plan{Bucket: t.ID, Before: before, Existed: existed}, Tags: tags, TagsRead: true}
	before.plan(&plan, "bucket "+t.ID)
	return plan, nil
}

func (s3BlockPublicAccess) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*s3Plan](p)
	if err != nil {
		return err
	}
	if c.S3 == nil {
		return missing("S3")
	}
	now, _, err := readPublicAccess(ctx, c.S3, d.Bucket)
	if err != nil || now.all() {
		return err
	}
	if _, err := c.S3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(d.Bucket),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls:       aws.Bool(true),
			IgnorePublicAcls:      aws.Bool(true),
			BlockPublicPolicy:     aws.Bool(true),
			RestrictPublicBuckets: aws.Bool(true),
		},
	}); err != nil {
		return fmt.Errorf("put public access block on bucket %s: %w", d.Bucket, err)
	}
	return nil
}

func (s3BlockPublicAccess) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*s3Plan](p)
	if err != nil {
		return err
	}
	if c.S3 == nil {
		return missing("S3")
	}
	now, _, err := readPublicAccess(ctx, c.S3, d.Bucket)
	if err != nil {
		return err
	}
	return now.verify("bucket " + d.Bucket)
}

func (s3BlockPublicAccess) Undo(p Plan) string {
	d, err := planData[*s3Plan](p)
	if err != nil {
		return ""
	}
	return d.Before.undo(d.Existed, "s3api", "--bucket", d.Bucket)
}
