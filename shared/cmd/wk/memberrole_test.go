package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMemberRoleCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "wk.yaml")
	if err := os.WriteFile(cfg, []byte(`version: 1
remediation:
  mode: enforce
  rules:
    - name: ssh
      matchers: ['event_name="AuthorizeSecurityGroupIngress"']
      action: revoke-open-ingress
  cross_account:
    external_id: ext-42
    accounts: ["111111111111"]
`), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"template", []string{"member-role", "-config", cfg, "-home-account", "123456789012"}, exitOK, `"RoleName": "WatchkeeperRemediation"`},
		{"no home account", []string{"member-role", "-config", cfg}, exitHarness, "-home-account is required"},
		{"bad home account", []string{"member-role", "-config", cfg, "-home-account", "1"}, exitHarness, "not a 12-digit account id"},
		{"missing config", []string{"member-role", "-config", filepath.Join(dir, "none.yaml"), "-home-account", "123456789012"}, exitHarness, "none.yaml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(context.Background(), tc.args, nil, &out, &errOut, false)
			if code != tc.code || !strings.Contains(out.String()+errOut.String(), tc.want) {
				t.Fatalf("exit %d (want %d)\nstdout %s\nstderr %s\nwant %q", code, tc.code, out.String(), errOut.String(), tc.want)
			}
			if code == exitOK {
				var v map[string]any
				if err := json.Unmarshal(out.Bytes(), &v); err != nil || !strings.Contains(out.String(), "ec2:RevokeSecurityGroupIngress") || !strings.Contains(out.String(), "ext-42") {
					t.Errorf("template is not the member role JSON: %v\n%s", err, out.String())
				}
			}
		})
	}
}
