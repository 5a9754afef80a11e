package main

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

func TestRetentionDays(t *testing.T) {
	tests := []struct {
		days, def int
		want      awslogs.RetentionDays
		wantErr   bool
	}{
		{30, 90, awslogs.RetentionDays_ONE_MONTH, false},
		{0, 90, awslogs.RetentionDays_THREE_MONTHS, false},
		{3653, 30, awslogs.RetentionDays_TEN_YEARS, false},
		{31, 30, "", true},
		{-1, 30, "", true},
	}
	for _, tc := range tests {
		got, err := retentionDays(tc.days, tc.def)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("retentionDays(%d, %d) = %q, %v; want %q, err %v", tc.days, tc.def, got, err, tc.want, tc.wantErr)
		}
	}
	// Every retention the config accepts must map to the CDK enum.
	for _, d := range config.LogRetentionDays() {
		if _, err := retentionDays(d, 0); err != nil {
			t.Errorf("config accepts %d days but infra does not: %v", d, err)
		}
	}
}

func TestRemovalPolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    awscdk.RemovalPolicy
		wantErr bool
	}{
		{"", awscdk.RemovalPolicy_RETAIN, false},
		{config.RemovalRetain, awscdk.RemovalPolicy_RETAIN, false},
		{config.RemovalDestroy, awscdk.RemovalPolicy_DESTROY, false},
		{" Destroy ", awscdk.RemovalPolicy_DESTROY, false},
		{"snapshot", "", true},
	}
	for _, tc := range tests {
		got, err := removalPolicy(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("removalPolicy(%q) = %q, %v; want %q, err %v", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}
