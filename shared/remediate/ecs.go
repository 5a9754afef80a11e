package remediate

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// ecsServiceType is the CloudFormation type of an ECS service target.
const ecsServiceType = "AWS::ECS::Service"

// defaultCluster is the cluster ECS API calls mean when they name none.
const defaultCluster = "default"

// ecsServiceTarget finds the service an ECS action acts on: the ClusterName
// and ServiceName alarm dimensions (AWS/ECS, ECS/ContainerInsights),
// requestParameters.service (or .serviceName) and .cluster of an ECS API
// call, or an ECS service resource (ARN …:service/cluster/name). Target.ID
// is the service name and Target.Parent its cluster.
func ecsServiceTarget(a alert.Alert) (Target, error) {
	t := Target{Type: ecsServiceType, Region: regionOf(a), Account: accountOf(a)}
	if svc, cl := dimension(a, "ServiceName"), dimension(a, "ClusterName"); svc != "" && cl != "" && len(svc)+len(cl) <= maxIDLen {
		t.ID, t.Parent, t.From = svc, cl, fromDim+"ServiceName"
		return t, nil
	}
	if fromEvent(a, "ecs.amazonaws.com") {
		svc, from := requestParam(a, "service"), fromRequest+"service"
		if svc == "" {
			svc, from = requestParam(a, "serviceName"), fromRequest+"serviceName"
		}
		if svc != "" {
			cl := requestParam(a, "cluster")
			if c, s, ok := ecsServiceARN(svc); ok {
				svc = s
				if c != "" {
					cl = c
				}
			}
			if _, name, ok := strings.Cut(cl, ":cluster/"); ok {
				cl = name
			}
			if cl == "" {
				cl = defaultCluster
			}
			t.ID, t.Parent, t.From = svc, cl, from
			return t, nil
		}
	}
	for _, r := range a.Resources {
		if r.Type != ecsServiceType && r.Type != "AwsEcsService" {
			continue
		}
		if cl, svc, ok := ecsServiceARN(r.ARN); ok && cl != "" && len(r.ARN) <= maxIDLen {
			t.ID, t.Parent, t.ARN, t.From = svc, cl, r.ARN, fromResource+r.Type
			if r.Region != "" {
				t.Region = r.Region
			}
			return t, nil
		}
	}
	return Target{}, noTarget("ECS service", "alarm dimensions ClusterName and ServiceName",
		"requestParameters.service and .cluster of ECS API calls", "ECS service resources")
}

// ecsServiceARN splits a service ARN (arn:…:service/cluster/name, or the
// old arn:…:service/name without a cluster) into cluster and name.
func ecsServiceARN(s string) (cluster, name string, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		return "", "", false
	}
	_, rest, found := strings.Cut(s, ":service/")
	if !found || rest == "" {
		return "", "", false
	}
	if cl, n, two := strings.Cut(rest, "/"); two {
		if cl == "" || n == "" || strings.Contains(n, "/") {
			return "", "", false
		}
		return cl, n, true
	}
	return "", rest, true
}

func describeService(ctx context.Context, c ECSAPI, cluster, service string) (ecstypes.Service, error) {
	out, err := c.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{service},
		Include: []ecstypes.ServiceField{ecstypes.ServiceFieldTags}})
	if err != nil {
		return ecstypes.Service{}, fmt.Errorf("describe ECS service %s/%s: %w", cluster, service, err)
	}
	for _, s := range out.Services {
		if aws.ToString(s.ServiceName) == service || aws.ToString(s.ServiceArn) == service {
			return s, nil
		}
	}
	return ecstypes.Service{}, fmt.Errorf("describe ECS service %s/%s: not found", cluster, service)
}

// plannedService describes the service a plan is about: Plan reads it,
// Apply and Verify read it again before changing or checking it.
func plannedService(ctx context.Context, c Clients, cluster, service string) (ecstypes.Service, error) {
	if c.ECS == nil {
		return ecstypes.Service{}, missing("ECS")
	}
	return describeService(ctx, c.ECS, cluster, service)
}

func ecsTags(tags []ecstypes.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// primaryDeployment is the deployment the service is rolling out to.
func primaryDeployment(s ecstypes.Service) *ecstypes.Deployment {
	for i, d := range s.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return &s.Deployments[i]
		}
	}
	return nil
}

// ecsForceNewDeployment replaces every task of a service with a fresh one
// on the same task definition (pick up a rotated secret, shed a leak). A
// primary deployment younger than min_interval_minutes makes the plan
// empty: the fresh tasks it started are what a new deployment would give.
type ecsForceNewDeployment struct{}

// deployPlan is ecs-force-new-deployment's Plan.Data.
type deployPlan struct {
	Cluster, Service string
	// TaskDefinition the service ran when planned, pinned by the undo.
	TaskDefinition string
	// Deployment is the primary deployment id when planned.
	Deployment string
	Since      time.Time
}

func (ecsForceNewDeployment) Name() string { return "ecs-force-new-deployment" }

func (ecsForceNewDeployment) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "min_interval_minutes", Type: TypeInt, Default: 15,
			Description: "a service whose primary deployment is younger than this many minutes is not redeployed"},
	}, Check: checkMinInterval}
}

func (ecsForceNewDeployment) Permissions() []string {
	return []string{"ecs:DescribeServices", "ecs:UpdateService"}
}

func (ecsForceNewDeployment) Example() string {
	return `remediation:
  rules:
    - name: redeploy-leaking-api
      matchers: ['alarm=api-memory-high']
      action: ecs-force-new-deployment
      params:
        min_interval_minutes: 30
`
}

// Target takes the service from the ClusterName and ServiceName alarm
// dimensions, requestParameters.service and .cluster, or a service resource.
func (ecsForceNewDeployment) Target(a alert.Alert, _ Params) (Target, error) {
	return ecsServiceTarget(a)
}

func (e ecsForceNewDeployment) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	s, err := plannedService(ctx, c, t.Parent, t.ID)
	if err != nil {
		return Plan{}, err
	}
	since := time.Now().UTC().Add(-time.Duration(p.Int("min_interval_minutes")) * time.Minute)
	d := &deployPlan{Cluster: t.Parent, Service: t.ID, TaskDefinition: aws.ToString(s.TaskDefinition), Since: since}
	plan := Plan{Action: e.Name(), Target: t, Data: d, TagsRead: true, Tags: ecsTags(s.Tags)}
	if pd := primaryDeployment(s); pd != nil {
		d.Deployment = aws.ToString(pd.Id)
		if !aws.ToTime(pd.CreatedAt).Before(since) {
			plan.Summary = fmt.Sprintf("deployment %s of %s/%s started %s, less than %d minutes ago", d.Deployment, t.Parent, t.ID,
				aws.ToTime(pd.CreatedAt).UTC().Format(time.RFC3339), p.Int("min_interval_minutes"))
			return plan, nil
		}
	}
	if aws.ToString(s.Status) != "ACTIVE" {
		plan.Summary = fmt.Sprintf("service %s/%s is %s", t.Parent, t.ID, aws.ToString(s.Status))
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("force a new deployment of %s/%s (%d tasks running)", t.Parent, t.ID, s.RunningCount)
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (ecsForceNewDeployment) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*deployPlan](p)
	if err != nil {
		return err
	}
	s, err := plannedService(ctx, c, d.Cluster, d.Service)
	if err != nil {
		return err
	}
	// Someone (or an earlier Apply) already started a new deployment.
	if pd := primaryDeployment(s); pd != nil && aws.ToString(pd.Id) != d.Deployment {
		return nil
	}
	if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(d.Cluster), Service: aws.String(d.Service),
		ForceNewDeployment: true}); err != nil {
		return fmt.Errorf("force new deployment of %s/%s: %w", d.Cluster, d.Service, err)
	}
	return nil
}

func (ecsForceNewDeployment) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*deployPlan](p)
	if err != nil {
		return err
	}
	s, err := plannedService(ctx, c, d.Cluster, d.Service)
	if err != nil {
		return err
	}
	pd := primaryDeployment(s)
	if pd == nil || aws.ToString(pd.Id) == d.Deployment {
		return fmt.Errorf("%w: service %s/%s has no new primary deployment", ErrVerify, d.Cluster, d.Service)
	}
	return nil
}

// Undo cannot bring the replaced tasks back; it pins the task definition
// the service ran when planned, in case the deployment picked up another.
func (ecsForceNewDeployment) Undo(p Plan) string {
	d, err := planData[*deployPlan](p)
	if err != nil || d.TaskDefinition == "" {
		return ""
	}
	return cli(withRegion([]string{"ecs", "update-service", "--cluster", d.Cluster, "--service", d.Service,
		"--task-definition", d.TaskDefinition}, p.Target.Region)...)
}

// ecsSetDesiredCount sets an ECS service's desired task count, by a step
// or to a value, never above the rule's max (scale a service out under
// load, or to 0 to stop a compromised one).
type ecsSetDesiredCount struct{}

// countPlan is ecs-set-desired-count's Plan.Data.
type countPlan struct {
	Cluster, Service string
	From, To         int32
}

func (ecsSetDesiredCount) Name() string { return "ecs-set-desired-count" }

func (ecsSetDesiredCount) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "by", Type: TypeInt, Description: "change the desired count by this many tasks (negative scales in)"},
		{Name: "to", Type: TypeInt, Description: "set the desired count to this many tasks (0 stops the service's tasks)"},
		{Name: "max", Type: TypeInt, Required: true, Description: "never set the desired count above this"},
	}, Check: func(p Params) error {
		if err := checkStep(p, "count"); err != nil {
			return err
		}
		switch {
		case p.Int("max") < 0:
			return fmt.Errorf("max is %d: a count cannot be negative", p.Int("max"))
		case p.Has("to") && p.Int("to") > p.Int("max"):
			return fmt.Errorf("to %d is above max %d", p.Int("to"), p.Int("max"))
		}
		return nil
	}}
}

func (ecsSetDesiredCount) Permissions() []string {
	return []string{"ecs:DescribeServices", "ecs:UpdateService"}
}

func (ecsSetDesiredCount) Example() string {
	return `remediation:
  rules:
    - name: scale-out-workers
      matchers: ['alarm=orders-queue-backlog']
      action: ecs-set-desired-count
      params:
        by: 2
        max: 12
`
}

// Target takes the service from the ClusterName and ServiceName alarm
// dimensions, requestParameters.service and .cluster, or a service resource.
func (ecsSetDesiredCount) Target(a alert.Alert, _ Params) (Target, error) { return ecsServiceTarget(a) }

func (e ecsSetDesiredCount) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	s, err := plannedService(ctx, c, t.Parent, t.ID)
	if err != nil {
		return Plan{}, err
	}
	d := &countPlan{Cluster: t.Parent, Service: t.ID, From: s.DesiredCount}
	want := stepWant(d.From, p)
	d.To = int32(min(max(want, 0), int64(p.Int("max"))))
	plan := Plan{Action: e.Name(), Target: t, Data: d, TagsRead: true, Tags: ecsTags(s.Tags)}
	// Scaling out from above max would scale in: leave it to people.
	if want > int64(d.From) && d.To < d.From {
		d.To = d.From
	}
	if d.To == d.From {
		plan.Summary = fmt.Sprintf("desired count of %s/%s is already %d (max %d)", t.Parent, t.ID, d.From, p.Int("max"))
		return plan, nil
	}
	plan.Summary = fmt.Sprintf("desired count %d → %d (max %d)", d.From, d.To, p.Int("max"))
	if want != int64(d.To) {
		plan.Summary += fmt.Sprintf(", capped from %d", want)
	}
	plan.Changes = []string{fmt.Sprintf("set desired count of %s/%s from %d to %d", t.Parent, t.ID, d.From, d.To)}
	return plan, nil
}

func (ecsSetDesiredCount) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*countPlan](p)
	if err != nil {
		return err
	}
	s, err := plannedService(ctx, c, d.Cluster, d.Service)
	if err != nil {
		return err
	}
	if done, err := stepDone(fmt.Sprintf("desired count of %s/%s", d.Cluster, d.Service), d.From, d.To, s.DesiredCount); done || err != nil {
		return err
	}
	if _, err := c.ECS.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(d.Cluster), Service: aws.String(d.Service),
		DesiredCount: aws.Int32(d.To)}); err != nil {
		return fmt.Errorf("set desired count of %s/%s to %d: %w", d.Cluster, d.Service, d.To, err)
	}
	return nil
}

func (ecsSetDesiredCount) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*countPlan](p)
	if err != nil {
		return err
	}
	s, err := plannedService(ctx, c, d.Cluster, d.Service)
	if err != nil {
		return err
	}
	if s.DesiredCount != d.To {
		return fmt.Errorf("%w: desired count of %s/%s is %d, want %d", ErrVerify, d.Cluster, d.Service, s.DesiredCount, d.To)
	}
	return nil
}

func (ecsSetDesiredCount) Undo(p Plan) string {
	d, err := planData[*countPlan](p)
	if err != nil || d.From == d.To {
		return ""
	}
	return cli(withRegion([]string{"ecs", "update-service", "--cluster", d.Cluster, "--service", d.Service,
		"--desired-count", strconv.Itoa(int(d.From))}, p.Target.Region)...)
}
