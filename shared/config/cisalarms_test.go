package config

import (
	"strings"
	"testing"
)

func TestTrailCISAlarms(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       bool
		wantErr    string
	}{
		{"default on with the cis pack and a trail", "version: 1\ndetection:\n  packs: [cis]\n", true, ""},
		{"default on with the cis pack and an existing log group", "version: 1\ntrail:\n  log_group_name: ct-logs\ndetection:\n  packs: [cis, attack]\n", true, ""},
		{"default off without the cis pack", "version: 1\ndetection:\n  packs: [attack]\n", false, ""},
		{"default off without a log group", "version: 1\ntrail:\n  create: false\ndetection:\n  packs: [cis]\n", false, ""},
		{"turned off", "version: 1\ntrail:\n  cis_alarms: false\ndetection:\n  packs: [cis]\n", false, ""},
		{"turned on without the pack", "version: 1\ntrail:\n  cis_alarms: true\n", true, ""},
		{"turned on without a log group", "version: 1\ntrail:\n  create: false\n  cis_alarms: true\n", false, "trail.cis_alarms: the CIS metric filters need a log group"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse("test.yaml", []byte(tt.yaml))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := c.Trail.CISAlarms != nil && *c.Trail.CISAlarms; got != tt.want {
				t.Errorf("cis_alarms = %v, want %v", got, tt.want)
			}
		})
	}
}
