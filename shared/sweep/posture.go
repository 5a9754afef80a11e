package sweep

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// AdminPorts are the ports a security group must not open to the world.
var AdminPorts = []int32{22, 3389}

// Posture rule ids.
const (
	RuleOpenAdminPort     = "posture.sg-open-admin-port"
	RuleBucketNoPAB       = "posture.s3-no-public-access-block"
	RuleTrailNotLogging   = "posture.cloudtrail-not-logging"
	RuleTrailSingleRegion = "posture.cloudtrail-single-region"
	RuleNoTrail           = "posture.cloudtrail-missing"
	RuleTrailNoValidation = "posture.cloudtrail-no-log-validation"
)

type securityGroupLister interface {
	DescribeSecurityGroups(ctx context.Context, in *ec2.DescribeSecurityGroupsInput, optFns ...func(*ec2.Options)) (*ec2.DescribeSecurityGroupsOutput, error)
}

type bucketInspector interface {
	ListBuckets(ctx context.Context, in *s3.ListBucketsInput, optFns ...func(*s3.Options)) (*s3.ListBucketsOutput, error)
	GetPublicAccessBlock(ctx context.Context, in *s3.GetPublicAccessBlockInput, optFns ...func(*s3.Options)) (*s3.GetPublicAccessBlockOutput, error)
}

type trailInspector interface {
	DescribeTrails(ctx context.Context, in *cloudtrail.DescribeTrailsInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.DescribeTrailsOutput, error)
	GetTrailStatus(ctx context.Context, in *cloudtrail.GetTrailStatusInput, optFns ...func(*cloudtrail.Options)) (*cloudtrail.GetTrailStatusOutput, error)
}

var (
	_ securityGroupLister = (*ec2.Client)(nil)
	_ bucketInspector     = (*s3.Client)(nil)
	_ trailInspector      = (*cloudtrail.Client)(nil)
)

// PostureClients are the read-only clients the posture sweep uses.
type PostureClients struct {
	EC2        securityGroupLister
	S3         bucketInspector
	CloudTrail trailInspector
	Region     string
	Account    string
}

// Posture returns the posture sweep: security groups open to the world on
// admin ports, buckets without a public access block, and trails that are
// missing, not logging or single-region. Every check runs even when another
// fails; their errors are joined.
func Posture(c PostureClients) Job {
	return func(ctx context.Context, _ *alert.JobRequest) ([]Finding, error) {
		var all []Finding
		var errs []error
		for _, check := range []func(context.Context, PostureClients) ([]Finding, error){
			openAdminPorts, bucketsWithoutPAB, trails,
		} {
			fs, err := check(ctx, c)
			all = append(all, fs...)
			if err != nil {
				errs = append(errs, err)
			}
		}
		return all, errors.Join(errs...)
	}
}

func openAdminPorts(ctx context.Context, c PostureClients) ([]Finding, error) {
	var out []Finding
	p := ec2.NewDescribeSecurityGroupsPaginator(c.EC2, &ec2.DescribeSecurityGroupsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("describe security groups: %w", err)
		}
		for _, sg := range page.SecurityGroups {
			for _, port := range AdminPorts {
				if openToWorld(sg.IpPermissions, port) {
					id := aws.ToString(sg.GroupId)
					out = append(out, Finding{
						Rule:     RuleOpenAdminPort,
						Severity: alert.SeverityHigh,
						Title:    fmt.Sprintf("Security group %s (%s) allows port %d from the whole internet", id, aws.ToString(sg.GroupName), port),
						Description: "An ingress rule open to 0.0.0.0/0 or ::/0 covers an administration port. " +
							"Restrict it to known addresses or use Session Manager.",
						Resource: alert.Resource{
							Type: "AWS::EC2::SecurityGroup", ID: id, Region: c.Region, Account: aws.ToString(sg.OwnerId),
							ARN: fmt.Sprintf("arn:%s:ec2:%s:%s:security-group/%s", alert.Partition(c.Region), c.Region, aws.ToString(sg.OwnerId), id),
						},
					})
				}
			}
		}
	}
	return out, nil
}

// openToWorld reports whether any permission lets the world reach port over TCP.
func openToWorld(perms []ec2types.IpPermission, port int32) bool {
	for _, p := range perms {
		proto := aws.ToString(p.IpProtocol)
		covers := proto == "-1" ||
			(proto == "tcp" || proto == "6") && aws.ToInt32(p.FromPort) <= port && port <= aws.ToInt32(p.ToPort)
		if !covers {
			continue
		}
		if slices.ContainsFunc(p.IpRanges, func(r ec2types.IpRange) bool { return aws.ToString(r.CidrIp) == "0.0.0.0/0" }) ||
			slices.ContainsFunc(p.Ipv6Ranges, func(r ec2types.Ipv6Range) bool { return aws.ToString(r.CidrIpv6) == "::/0" }) {
			return true
		}
	}
	return false
}

func bucketsWithoutPAB(ctx context.Context, c PostureClients) ([]Finding, error) {
	var out []Finding
	p := s3.NewListBucketsPaginator(c.S3, &s3.ListBucketsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return out, fmt.Errorf("list buckets: %w", err)
		}
		for _, b := range page.Buckets {
			name := aws.ToString(b.Name)
			pab, err := c.S3.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: b.Name})
			var ae smithy.APIError
			switch {
			case errors.As(err, &ae) && ae.ErrorCode() == "NoSuchPublicAccessBlockConfiguration":
			case err != nil:
				return out, fmt.Errorf("get public access block of bucket %s: %w", name, err)
			default:
				cfg := pab.PublicAccessBlockConfiguration
				if cfg != nil && aws.ToBool(cfg.BlockPublicAcls) && aws.ToBool(cfg.IgnorePublicAcls) &&
					aws.ToBool(cfg.BlockPublicPolicy) && aws.ToBool(cfg.RestrictPublicBuckets) {
					continue
				}
			}
			out = append(out, Finding{
				Rule:        RuleBucketNoPAB,
				Severity:    alert.SeverityMedium,
				Title:       fmt.Sprintf("Bucket %s has no complete public access block", name),
				Description: "Without all four public access block settings a policy or ACL can make objects public.",
				Resource:    alert.Resource{Type: "AWS::S3::Bucket", ID: name, ARN: "arn:" + alert.Partition(c.Region) + ":s3:::" + name, Account: c.Account},
			})
		}
	}
	return out, nil
}

func trails(ctx context.Context, c PostureClients) ([]Finding, error) {
	resp, err := c.CloudTrail.DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
	if err != nil {
		return nil, fmt.Errorf("describe trails: %w", err)
	}
	if len(resp.TrailList) == 0 {
		return []Finding{{
			Rule: RuleNoTrail, Severity: alert.SeverityHigh,
			Title:       "No CloudTrail trail in " + c.Region,
			Description: "API activity is not recorded beyond the 90-day event history; the detector sees nothing.",
			Resource:    alert.Resource{Type: "AWS::CloudTrail::Trail", Region: c.Region, Account: c.Account},
		}}, nil
	}
	var out []Finding
	for _, t := range resp.TrailList {
		res := alert.Resource{Type: "AWS::CloudTrail::Trail", ID: aws.ToString(t.Name), ARN: aws.ToString(t.TrailARN), Region: aws.ToString(t.HomeRegion), Account: c.Account}
		st, err := c.CloudTrail.GetTrailStatus(ctx, &cloudtrail.GetTrailStatusInput{Name: t.TrailARN})
		if err != nil {
			return out, fmt.Errorf("get status of trail %s: %w", res.ID, err)
		}
		if !aws.ToBool(st.IsLogging) {
			out = append(out, Finding{
				Rule: RuleTrailNotLogging, Severity: alert.SeverityCritical,
				Title:       fmt.Sprintf("Trail %s is not logging", res.ID),
				Description: "Someone stopped logging (or it never started): activity goes unrecorded.",
				Resource:    res,
			})
		}
		if !aws.ToBool(t.LogFileValidationEnabled) {
			out = append(out, Finding{
				Rule: RuleTrailNoValidation, Severity: alert.SeverityMedium,
				Title:       fmt.Sprintf("Trail %s does not validate its log files", res.ID),
				Description: "Without digest files, changed or deleted log files go unnoticed (CIS 3.2); turn on log file validation.",
				Resource:    res,
			})
		}
		if !aws.ToBool(t.IsMultiRegionTrail) {
			out = append(out, Finding{
				Rule: RuleTrailSingleRegion, Severity: alert.SeverityMedium,
				Title:       fmt.Sprintf("Trail %s records one region only", res.ID),
				Description: "Activity in other regions is not recorded by this trail.",
				Resource:    res,
			})
		}
	}
	return out, nil
}
