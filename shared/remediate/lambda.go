package remediate

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// lambdaFunctionType is the CloudFormation type of a Lambda function target.
const lambdaFunctionType = "AWS::Lambda::Function"

// maxFunctionRef bounds a function name or ARN as the Lambda API takes it.
// https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html#API_GetFunction_RequestSyntax
const maxFunctionRef = 170

// lambdaSetReservedConcurrency caps how many copies of a function run at
// once; 0 throttles a runaway function (a recursive loop, a flood of
// invocations running up the bill) until people look.
type lambdaSetReservedConcurrency struct{}

// concurrencyPlan is lambda-set-reserved-concurrency's Plan.Data.
type concurrencyPlan struct {
	Function string
	// Before is the reserved concurrency when planned; HadReserved is false
	// when there was none, so the undo deletes rather than puts.
	Before      int32
	HadReserved bool
	To          int32
}

func (lambdaSetReservedConcurrency) Name() string { return "lambda-set-reserved-concurrency" }

func (lambdaSetReservedConcurrency) Schema() ParamSchema {
	return ParamSchema{Params: []Param{
		{Name: "concurrency", Type: TypeInt, Default: 0,
			Description: "reserved concurrent executions to set; 0 stops every invocation (throttles the function)"},
	}, Check: func(p Params) error {
		if p.Int("concurrency") < 0 {
			return fmt.Errorf("concurrency is %d, want at least 0", p.Int("concurrency"))
		}
		return nil
	}}
}

func (lambdaSetReservedConcurrency) Permissions() []string {
	return []string{"lambda:GetFunction", "lambda:GetFunctionConcurrency", "lambda:PutFunctionConcurrency"}
}

func (lambdaSetReservedConcurrency) Example() string {
	return `remediation:
  rules:
    - name: throttle-runaway-function
      matchers: ['alarm=~.*-invocations-runaway']
      action: lambda-set-reserved-concurrency
      mode: enforce
      params:
        concurrency: 0
`
}

// Target takes the function from the FunctionName alarm dimension (AWS/Lambda),
// requestParameters.functionName of a Lambda API call (a name or ARN), or a
// Lambda function resource.
func (lambdaSetReservedConcurrency) Target(a alert.Alert, _ Params) (Target, error) {
	t := Target{Type: lambdaFunctionType, Region: regionOf(a), Account: accountOf(a)}
	if name := dimension(a, "FunctionName"); validFunctionRef(name) {
		t.ID, t.From = name, fromDim+"FunctionName"
		return t, nil
	}
	if fromEvent(a, "lambda.amazonaws.com") {
		if name := requestParam(a, "functionName"); validFunctionRef(name) {
			t.ID, t.From = name, fromRequest+"functionName"
			if arn, ok := alert.ParseARN(name); ok {
				t.ARN = name
				if arn.Region != "" {
					t.Region = arn.Region
				}
			}
			return t, nil
		}
	}
	if r, ok := resourceOfType(a, lambdaFunctionType, "AwsLambdaFunction"); ok {
		ref := r.ARN
		if ref == "" {
			ref = r.ID
		}
		if validFunctionRef(ref) {
			t.ID, t.ARN, t.From = ref, r.ARN, fromResource+r.Type
			if r.Region != "" {
				t.Region = r.Region
			}
			return t, nil
		}
	}
	return Target{}, noTarget("Lambda function", "alarm dimension FunctionName", "requestParameters.functionName of Lambda API calls",
		"Lambda function resources")
}

func validFunctionRef(s string) bool {
	return s != "" && len(s) <= maxFunctionRef && !strings.ContainsAny(s, " \t\n/")
}

// reservedConcurrency returns the function's reserved concurrency, if set.
func reservedConcurrency(ctx context.Context, c LambdaAPI, fn string) (int32, bool, error) {
	out, err := c.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(fn)})
	if err != nil {
		return 0, false, fmt.Errorf("get reserved concurrency of %s: %w", fn, err)
	}
	if out.ReservedConcurrentExecutions == nil {
		return 0, false, nil
	}
	return *out.ReservedConcurrentExecutions, true, nil
}

func (l lambdaSetReservedConcurrency) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.Lambda == nil {
		return Plan{}, missing("Lambda")
	}
	fn, err := c.Lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(t.ID)})
	if err != nil {
		return Plan{}, fmt.Errorf("get function %s: %w", t.ID, err)
	}
	before, had, err := reservedConcurrency(ctx, c.Lambda, t.ID)
	if err != nil {
		return Plan{}, err
	}
	d := &concurrencyPlan{Function: t.ID, Before: before, HadReserved: had, To: int32(p.Int("concurrency"))}
	tags := fn.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	plan := Plan{Action: l.Name(), Target: t, Data: d, TagsRead: true, Tags: tags}
	if had && before == d.To {
		plan.Summary = fmt.Sprintf("reserved concurrency of %s is already %d", t.ID, d.To)
		return plan, nil
	}
	from := "unreserved"
	if had {
		from = strconv.Itoa(int(before))
	}
	plan.Summary = fmt.Sprintf("set reserved concurrency of %s from %s to %d", t.ID, from, d.To)
	if d.To == 0 {
		plan.Summary += " (throttled: no invocation runs)"
	}
	plan.Changes = []string{plan.Summary}
	return plan, nil
}

func (lambdaSetReservedConcurrency) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*concurrencyPlan](p)
	if err != nil {
		return err
	}
	if c.Lambda == nil {
		return missing("Lambda")
	}
	now, had, err := reservedConcurrency(ctx, c.Lambda, d.Function)
	if err != nil {
		return err
	}
	if had && now == d.To {
		return nil
	}
	if had != d.HadReserved || (had && now != d.Before) {
		return fmt.Errorf("set reserved concurrency of %s: %w", d.Function, ErrChanged)
	}
	if _, err := c.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(d.Function), ReservedConcurrentExecutions: aws.Int32(d.To),
	}); err != nil {
		return fmt.Errorf("set reserved concurrency of %s to %d: %w", d.Function, d.To, err)
	}
	return nil
}

func (lambdaSetReservedConcurrency) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*concurrencyPlan](p)
	if err != nil {
		return err
	}
	if c.Lambda == nil {
		return missing("Lambda")
	}
	now, had, err := reservedConcurrency(ctx, c.Lambda, d.Function)
	if err != nil {
		return err
	}
	if !had || now != d.To {
		return fmt.Errorf("%w: reserved concurrency of %s is %d (set: %t), want %d", ErrVerify, d.Function, now, had, d.To)
	}
	return nil
}

// Undo deletes the reservation when there was none, or puts the old one.
func (lambdaSetReservedConcurrency) Undo(p Plan) string {
	d, err := planData[*concurrencyPlan](p)
	if err != nil {
		return ""
	}
	if !d.HadReserved {
		return cli(withRegion([]string{"lambda", "delete-function-concurrency", "--function-name", d.Function}, p.Target.Region)...)
	}
	return cli(withRegion([]string{"lambda", "put-function-concurrency", "--function-name", d.Function,
		"--reserved-concurrent-executions", strconv.Itoa(int(d.Before))}, p.Target.Region)...)
}
