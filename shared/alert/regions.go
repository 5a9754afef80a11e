package alert

import (
	"net/url"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/cloudtrail"
)

// regionByDisplayName maps the region display names CloudWatch writes in the
// "Region" field of alarm notifications to region codes. Older notifications
// use "EU (…)" where the console now says "Europe (…)"; both are listed.
// Names: https://docs.aws.amazon.com/global-infrastructure/latest/regions/aws-regions.html
var regionByDisplayName = map[string]string{
	"us east (n. virginia)":                  "us-east-1",
	"us east (ohio)":                         "us-east-2",
	"us west (n. california)":                "us-west-1",
	"us west (oregon)":                       "us-west-2",
	"africa (cape town)":                     "af-south-1",
	"asia pacific (hong kong)":               "ap-east-1",
	"asia pacific (taipei)":                  "ap-east-2",
	"asia pacific (tokyo)":                   "ap-northeast-1",
	"asia pacific (seoul)":                   "ap-northeast-2",
	"asia pacific (osaka)":                   "ap-northeast-3",
	"asia pacific (osaka-local)":             "ap-northeast-3",
	"asia pacific (mumbai)":                  "ap-south-1",
	"asia pacific (hyderabad)":               "ap-south-2",
	"asia pacific (singapore)":               "ap-southeast-1",
	"asia pacific (sydney)":                  "ap-southeast-2",
	"asia pacific (jakarta)":                 "ap-southeast-3",
	"asia pacific (melbourne)":               "ap-southeast-4",
	"asia pacific (malaysia)":                "ap-southeast-5",
	"asia pacific (new zealand)":             "ap-southeast-6",
	"asia pacific (thailand)":                "ap-southeast-7",
	"canada (central)":                       "ca-central-1",
	"canada west (calgary)":                  "ca-west-1",
	"europe (frankfurt)":                     "eu-central-1",
	"eu (frankfurt)":                         "eu-central-1",
	"europe (zurich)":                        "eu-central-2",
	"eu (zurich)":                            "eu-central-2",
	"europe (ireland)":                       "eu-west-1",
	"eu (ireland)":                           "eu-west-1",
	"europe (london)":                        "eu-west-2",
	"eu (london)":                            "eu-west-2",
	"europe (paris)":                         "eu-west-3",
	"eu (paris)":                             "eu-west-3",
	"europe (milan)":                         "eu-south-1",
	"eu (milan)":                             "eu-south-1",
	"europe (spain)":                         "eu-south-2",
	"eu (spain)":                             "eu-south-2",
	"europe (stockholm)":                     "eu-north-1",
	"eu (stockholm)":                         "eu-north-1",
	"israel (tel aviv)":                      "il-central-1",
	"middle east (bahrain)":                  "me-south-1",
	"middle east (uae)":                      "me-central-1",
	"middle east (saudi arabia)":             "me-west-1",
	"mexico (central)":                       "mx-central-1",
	"south america (sao paulo)":              "sa-east-1",
	"south america (são paulo)":              "sa-east-1",
	"south america (chile)":                  "sa-west-1",
	"china (beijing)":                        "cn-north-1",
	"china (ningxia)":                        "cn-northwest-1",
	"aws govcloud (us-west)":                 "us-gov-west-1",
	"aws govcloud (us-east)":                 "us-gov-east-1",
	"aws govcloud (us)":                      "us-gov-west-1",
	"aws european sovereign cloud (germany)": "eusc-de-east-1",
}

// maxDisplayNameLen bounds the work done on untrusted region strings.
const maxDisplayNameLen = 64

// RegionFromDisplayName returns the region code for a display name such as
// "Asia Pacific (Tokyo)" (case and surrounding space ignored), or the input
// itself when it already looks like a region code. It returns "" when it
// recognizes neither.
func RegionFromDisplayName(name string) string {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > maxDisplayNameLen {
		return ""
	}
	if looksLikeRegionCode(name) {
		return name
	}
	return regionByDisplayName[strings.Join(strings.Fields(strings.ToLower(name)), " ")]
}

// looksLikeRegionCode accepts "xx-word-N" shapes such as us-east-1 or
// us-gov-west-1.
func looksLikeRegionCode(s string) bool {
	parts := strings.Split(s, "-")
	if len(parts) < 3 || len(parts) > 4 {
		return false
	}
	for i, p := range parts {
		if p == "" {
			return false
		}
		for j := 0; j < len(p); j++ {
			c := p[j]
			last := i == len(parts)-1
			if last && (c < '0' || c > '9') {
				return false
			}
			if !last && (c < 'a' || c > 'z') {
				return false
			}
		}
	}
	return true
}

// Partition returns the ARN partition of a region code.
func Partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasPrefix(region, "eusc-"):
		return "aws-eusc"
	}
	return "aws"
}

// ARN is the parsed form of an Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account string
	// Resource is everything after the fifth colon, e.g. "instance/i-1" or "alarm:name".
	Resource string
}

// ParseARN splits an ARN; ok is false when s is not one.
func ParseARN(s string) (ARN, bool) {
	if !strings.HasPrefix(s, "arn:") {
		return ARN{}, false
	}
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[1] == "" || parts[2] == "" {
		return ARN{}, false
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

// ResourceFromARN fills a Resource from an ARN: region, account, a
// CloudFormation-style type for common services and the trailing id.
func ResourceFromARN(s string) Resource {
	a, ok := ParseARN(s)
	if !ok {
		return Resource{ID: s}
	}
	r := Resource{ARN: s, Region: a.Region, Account: a.Account}
	kind, id := a.Resource, ""
	if i := strings.IndexAny(a.Resource, "/:"); i >= 0 {
		kind, id = a.Resource[:i], a.Resource[i+1:]
	}
	if id == "" {
		id, kind = kind, ""
	}
	switch a.Service + ":" + kind {
	case "ec2:instance":
		r.Type = "AWS::EC2::Instance"
	case "ec2:security-group":
		r.Type = "AWS::EC2::SecurityGroup"
	case "ec2:volume":
		r.Type = "AWS::EC2::Volume"
	case "cloudwatch:alarm":
		r.Type = "AWS::CloudWatch::Alarm"
	case "autoscaling:autoScalingGroup":
		r.Type = "AWS::AutoScaling::AutoScalingGroup"
		if i := strings.Index(id, "autoScalingGroupName/"); i >= 0 {
			id = id[i+len("autoScalingGroupName/"):]
		}
	case "iam:user":
		r.Type = "AWS::IAM::User"
	case "iam:role":
		r.Type = "AWS::IAM::Role"
	case "iam:root":
		r.Type = "AWS::IAM::Root"
	case "codebuild:build":
		r.Type = "AWS::CodeBuild::Build"
	case "codebuild:project":
		r.Type = "AWS::CodeBuild::Project"
	case "cloudtrail:trail":
		r.Type = "AWS::CloudTrail::Trail"
	case "lambda:function":
		r.Type = "AWS::Lambda::Function"
	case "events:rule":
		r.Type = "AWS::Events::Rule"
	case "s3:":
		r.Type = "AWS::S3::Bucket"
	case "sqs:":
		r.Type = "AWS::SQS::Queue"
	case "sns:":
		r.Type = "AWS::SNS::Topic"
	case "dynamodb:table":
		r.Type = "AWS::DynamoDB::Table"
	case "rds:db":
		r.Type = "AWS::RDS::DBInstance"
	}
	if i := strings.LastIndexByte(id, '/'); i >= 0 && r.Type != "AWS::AutoScaling::AutoScalingGroup" {
		id = id[i+1:]
	}
	r.ID = id
	return r
}

// resourceFromDimension maps the dimensions that name one resource to it, so
// alarms say what they are about. ok is false for other dimensions.
func resourceFromDimension(d Dimension, region, account string) (Resource, bool) {
	p := Partition(region)
	r := Resource{ID: d.Value, Region: region, Account: account}
	switch d.Name {
	case "InstanceId":
		r.Type = "AWS::EC2::Instance"
		r.ARN = buildARN(p, "ec2", region, account, "instance/"+d.Value)
	case "AutoScalingGroupName":
		r.Type = "AWS::AutoScaling::AutoScalingGroup"
	case "FunctionName":
		r.Type = "AWS::Lambda::Function"
		r.ARN = buildARN(p, "lambda", region, account, "function:"+d.Value)
	case "QueueName":
		r.Type = "AWS::SQS::Queue"
		r.ARN = buildARN(p, "sqs", region, account, d.Value)
	case "TableName":
		r.Type = "AWS::DynamoDB::Table"
		r.ARN = buildARN(p, "dynamodb", region, account, "table/"+d.Value)
	case "DBInstanceIdentifier":
		r.Type = "AWS::RDS::DBInstance"
		r.ARN = buildARN(p, "rds", region, account, "db:"+d.Value)
	case "BucketName":
		r.Type = "AWS::S3::Bucket"
		r.ARN = "arn:" + p + ":s3:::" + d.Value
	case "TopicName":
		r.Type = "AWS::SNS::Topic"
		r.ARN = buildARN(p, "sns", region, account, d.Value)
	case "LoadBalancer":
		r.Type = "AWS::ElasticLoadBalancingV2::LoadBalancer"
	case "ClusterName":
		r.Type = "AWS::ECS::Cluster"
	case "StateMachineArn":
		r = ResourceFromARN(d.Value)
		r.Type = "AWS::StepFunctions::StateMachine"
	default:
		return Resource{}, false
	}
	return r, true
}

func buildARN(partition, service, region, account, resource string) string {
	if region == "" || account == "" {
		return ""
	}
	return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource
}

// AlarmConsoleURL links to an alarm in the CloudWatch console of its region.
func AlarmConsoleURL(region, alarmName string) string {
	if alarmName == "" || region == "" {
		return ""
	}
	return cloudtrail.ConsoleBase(region) + "/cloudwatch/home?region=" + url.QueryEscape(region) +
		"#alarmsV2:alarm/" + url.PathEscape(alarmName)
}

// consoleURL builds "<console>/<path>?region=<region><fragment>".
func consoleURL(region, path, fragment string) string {
	if region == "" {
		return ""
	}
	return cloudtrail.ConsoleBase(region) + path + "?region=" + url.QueryEscape(region) + fragment
}
