package sweep

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
	"github.com/watchkeeper/watchkeeper/shared/awstest"
)

var moto awstest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	_ = moto.Close()
	os.Exit(code)
}

type published struct {
	mu  sync.Mutex
	got []alert.Detail
}

func (p *published) Publish(_ context.Context, source, detailType string, d alert.Detail) error {
	if source != alert.SourceSweeper || detailType != alert.DetailTypeFinding {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.got = append(p.got, d)
	return nil
}

func postureClients(t *testing.T, m *awstest.Moto) (PostureClients, *ec2.Client, *s3.Client, *cloudtrail.Client) {
	cfg := m.Config(t.Context())
	e, s, c := ec2.NewFromConfig(cfg), s3.NewFromConfig(cfg), cloudtrail.NewFromConfig(cfg)
	return PostureClients{EC2: e, S3: s, CloudTrail: c, Region: "us-east-1", Account: awstest.AccountID}, e, s, c
}

func openGroup(t *testing.T, e *ec2.Client, name string, perms ...ec2types.IpPermission) string {
	t.Helper()
	g, err := e.CreateSecurityGroup(t.Context(), &ec2.CreateSecurityGroupInput{GroupName: aws.String(name), Description: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	if len(perms) > 0 {
		if _, err := e.AuthorizeSecurityGroupIngress(t.Context(), &ec2.AuthorizeSecurityGroupIngressInput{GroupId: g.GroupId, IpPermissions: perms}); err != nil {
			t.Fatal(err)
		}
	}
	return aws.ToString(g.GroupId)
}

func tcp(from, to int32, cidr string) ec2types.IpPermission {
	return ec2types.IpPermission{IpProtocol: aws.String("tcp"), FromPort: aws.Int32(from), ToPort: aws.Int32(to),
		IpRanges: []ec2types.IpRange{{CidrIp: aws.String(cidr)}}}
}

func bucket(t *testing.T, s *s3.Client, name string, block bool) {
	t.Helper()
	if _, err := s.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if block {
		if _, err := s.PutPublicAccessBlock(t.Context(), &s3.PutPublicAccessBlockInput{Bucket: aws.String(name),
			PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
				BlockPublicAcls: aws.Bool(true), IgnorePublicAcls: aws.Bool(true), BlockPublicPolicy: aws.Bool(true), RestrictPublicBuckets: aws.Bool(true),
			}}); err != nil {
			t.Fatal(err)
		}
	}
}

func trail(t *testing.T, c *cloudtrail.Client, s *s3.Client, name string, multiRegion, logging bool) {
	t.Helper()
	bucket(t, s, name+"-logs", true)
	// Clean trails validate their log files; the problem trail (not logging, one region) does not.
	if _, err := c.CreateTrail(t.Context(), &cloudtrail.CreateTrailInput{Name: aws.String(name), S3BucketName: aws.String(name + "-logs"),
		IsMultiRegionTrail: aws.Bool(multiRegion), EnableLogFileValidation: aws.Bool(multiRegion && logging)}); err != nil {
		t.Fatal(err)
	}
	if logging {
		if _, err := c.StartLogging(t.Context(), &cloudtrail.StartLoggingInput{Name: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
	}
}

func rulesOn(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Rule+" "+f.Resource.Name())
	}
	slices.Sort(out)
	return out
}

func TestPostureFindsEachProblem(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	pc, e, s, c := postureClients(t, m)
	ssh := openGroup(t, e, "legacy-ssh", tcp(22, 22, "0.0.0.0/0"))
	rdp := openGroup(t, e, "wide-range", tcp(3000, 4000, "0.0.0.0/0"))
	allV6 := openGroup(t, e, "all-v6", ec2types.IpPermission{IpProtocol: aws.String("-1"), Ipv6Ranges: []ec2types.Ipv6Range{{CidrIpv6: aws.String("::/0")}}})
	openGroup(t, e, "office-only", tcp(22, 22, "203.0.113.0/24"))
	openGroup(t, e, "https", tcp(443, 443, "0.0.0.0/0"))
	bucket(t, s, "public-stuff", false)
	bucket(t, s, "private-stuff", true)
	trail(t, c, s, "stopped", false, false)

	findings, err := Posture(pc)(t.Context(), &alert.JobRequest{Job: "posture"})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		RuleBucketNoPAB + " public-stuff",
		RuleOpenAdminPort + " " + allV6, RuleOpenAdminPort + " " + allV6,
		RuleOpenAdminPort + " " + rdp,
		RuleOpenAdminPort + " " + ssh,
		RuleTrailNotLogging + " stopped",
		RuleTrailNoValidation + " stopped",
		RuleTrailSingleRegion + " stopped",
	}
	slices.Sort(want)
	if got := rulesOn(findings); !slices.Equal(got, want) {
		t.Errorf("findings:\n got %q\nwant %q", got, want)
	}
	for _, f := range findings {
		if f.Title == "" || f.Severity == "" || f.Description == "" {
			t.Errorf("finding without title/severity/description: %+v", f)
		}
		if f.Rule == RuleOpenAdminPort && !strings.HasPrefix(f.Resource.ARN, "arn:aws:ec2:us-east-1:") {
			t.Errorf("security group ARN = %q", f.Resource.ARN)
		}
	}
}

func TestPostureCleanAccountHasNoFindings(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	pc, e, s, c := postureClients(t, m)
	openGroup(t, e, "office-only", tcp(22, 22, "203.0.113.0/24"))
	bucket(t, s, "private-stuff", true)
	trail(t, c, s, "org-trail", true, true)
	findings, err := Posture(pc)(t.Context(), &alert.JobRequest{Job: "posture"})
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 0 {
		t.Errorf("clean account: %q", rulesOn(findings))
	}
}

func TestPostureWithoutTrail(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	pc, _, _, _ := postureClients(t, m)
	findings, err := Posture(pc)(t.Context(), &alert.JobRequest{Job: "posture"})
	if err != nil {
		t.Fatal(err)
	}
	if got := rulesOn(findings); !slices.Equal(got, []string{RuleNoTrail + " "}) {
		t.Errorf("findings = %q", got)
	}
}

func TestHeartbeatEmitsTheMetric(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&buf, nil))
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	if _, err := Heartbeat(logger, "Watchkeeper", func() time.Time { return now })(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	var line struct {
		Heartbeat float64 `json:"Heartbeat"`
		Stack     string  `json:"Stack"`
		AWS       struct {
			Timestamp         int64 `json:"Timestamp"`
			CloudWatchMetrics []struct {
				Namespace  string     `json:"Namespace"`
				Dimensions [][]string `json:"Dimensions"`
			} `json:"CloudWatchMetrics"`
		} `json:"_aws"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if line.Heartbeat != 1 || line.Stack != "Watchkeeper" || line.AWS.Timestamp != now.UnixMilli() ||
		len(line.AWS.CloudWatchMetrics) != 1 || line.AWS.CloudWatchMetrics[0].Namespace != "Watchkeeper" ||
		!slices.Equal(line.AWS.CloudWatchMetrics[0].Dimensions[0], []string{"Stack"}) {
		t.Errorf("EMF line = %s", buf.String())
	}
}

func TestHandlePublishesFindings(t *testing.T) {
	m := moto.Get(t)
	m.Reset()
	pc, e, _, _ := postureClients(t, m)
	sg := openGroup(t, e, "legacy-ssh", tcp(22, 22, "0.0.0.0/0"))
	pub := &published{}
	svc := New(map[string]Job{"posture": Posture(pc)}, pub, nil, nil)
	ev, err := os.ReadFile(filepath.Join("..", "..", "events", "sweeper", "scheduler-posture.json"))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := svc.Handle(t.Context(), ev)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Function != "sweeper" || resp.Trigger != string(alert.KindSchedule) {
		t.Errorf("response = %+v", resp)
	}
	if len(resp.Findings) != 2 || len(pub.got) != 2 { // the open group, and no trail at all
		t.Fatalf("findings = %+v, published %d", resp.Findings, len(pub.got))
	}
	var sgDetail alert.Detail
	for _, d := range pub.got {
		if d.Rule == RuleOpenAdminPort {
			sgDetail = d
		}
	}
	if sgDetail.AlertID == "" || len(sgDetail.Resources) != 1 || sgDetail.Resources[0].ID != sg || sgDetail.Time.IsZero() {
		t.Errorf("published detail = %+v", sgDetail)
	}
	for _, f := range resp.Findings {
		if !f.Published {
			t.Errorf("finding not marked published: %+v", f)
		}
	}
}

func TestHandleRejectsWhatIsNotAJob(t *testing.T) {
	svc := New(map[string]Job{"heartbeat": func(context.Context, *alert.JobRequest) ([]Finding, error) { return nil, nil }}, nil, nil, nil)
	unknown, _ := json.Marshal(map[string]string{"job": "digest"})
	_, err := svc.Handle(t.Context(), unknown)
	if err == nil || !strings.Contains(err.Error(), `unknown job "digest"`) || !strings.Contains(err.Error(), "heartbeat") {
		t.Errorf("unknown job error = %v", err)
	}
	alarm, err := os.ReadFile(filepath.Join("..", "..", "events", "notifier", "sns-alarm-cpu.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Handle(t.Context(), alarm); err == nil {
		t.Error("an alarm is not a job request: want an error")
	}
	if _, err := svc.Handle(t.Context(), []byte("{")); err == nil {
		t.Error("want an error for malformed input")
	}
}

func TestScheduledEventRunsTheJobOfItsRule(t *testing.T) {
	ran := ""
	svc := New(map[string]Job{}, nil, nil, nil)
	ev, err := os.ReadFile(filepath.Join("..", "..", "events", "sweeper", "scheduled-event.json"))
	if err != nil {
		t.Fatal(err)
	}
	trig, err := alert.Parse(ev)
	if err != nil || trig.Job == nil {
		t.Fatalf("classic scheduled event: %v %+v", err, trig)
	}
	svc.jobs[trig.Job.Job] = func(_ context.Context, r *alert.JobRequest) ([]Finding, error) { ran = r.Job; return nil, nil }
	if _, err := svc.Handle(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if ran == "" {
		t.Error("job not run")
	}
}
