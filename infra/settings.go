package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// retentionByDays maps the retention periods CloudWatch Logs accepts to the CDK enum.
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html
var retentionByDays = map[int]awslogs.RetentionDays{
	1:    awslogs.RetentionDays_ONE_DAY,
	3:    awslogs.RetentionDays_THREE_DAYS,
	5:    awslogs.RetentionDays_FIVE_DAYS,
	7:    awslogs.RetentionDays_ONE_WEEK,
	14:   awslogs.RetentionDays_TWO_WEEKS,
	30:   awslogs.RetentionDays_ONE_MONTH,
	60:   awslogs.RetentionDays_TWO_MONTHS,
	90:   awslogs.RetentionDays_THREE_MONTHS,
	120:  awslogs.RetentionDays_FOUR_MONTHS,
	150:  awslogs.RetentionDays_FIVE_MONTHS,
	180:  awslogs.RetentionDays_SIX_MONTHS,
	365:  awslogs.RetentionDays_ONE_YEAR,
	400:  awslogs.RetentionDays_THIRTEEN_MONTHS,
	545:  awslogs.RetentionDays_EIGHTEEN_MONTHS,
	731:  awslogs.RetentionDays_TWO_YEARS,
	1096: awslogs.RetentionDays_THREE_YEARS,
	1827: awslogs.RetentionDays_FIVE_YEARS,
	2192: awslogs.RetentionDays_SIX_YEARS,
	2557: awslogs.RetentionDays_SEVEN_YEARS,
	2922: awslogs.RetentionDays_EIGHT_YEARS,
	3288: awslogs.RetentionDays_NINE_YEARS,
	3653: awslogs.RetentionDays_TEN_YEARS,
}

// retentionDays converts a day count to the CDK enum; zero takes def.
func retentionDays(days, def int) (awslogs.RetentionDays, error) {
	if days == 0 {
		days = def
	}
	r, ok := retentionByDays[days]
	if !ok {
		valid := make([]int, 0, len(retentionByDays))
		for d := range retentionByDays {
			valid = append(valid, d)
		}
		slices.Sort(valid)
		return "", fmt.Errorf("log retention of %d days is not one CloudWatch Logs accepts (valid: %v)", days, valid)
	}
	return r, nil
}

// removalPolicy converts deployment.removal_policy; empty means retain.
func removalPolicy(name string) (awscdk.RemovalPolicy, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", config.RemovalRetain:
		return awscdk.RemovalPolicy_RETAIN, nil
	case config.RemovalDestroy:
		return awscdk.RemovalPolicy_DESTROY, nil
	default:
		return "", fmt.Errorf("removal policy %q is not %q or %q", name, config.RemovalRetain, config.RemovalDestroy)
	}
}

// orDefault returns v, or def when v is zero.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
