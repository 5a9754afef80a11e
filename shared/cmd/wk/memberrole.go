package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/remediate"
)

// runMemberRole prints the CloudFormation template of the member role that
// remediation.cross_account assumes, derived from the config's rules and the
// action registry, for the user to deploy in each member account (for
// example as a StackSet).
func runMemberRole(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("wk member-role", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "watchkeeper.yaml", "the config whose remediation rules the role serves")
	home := fs.String("home-account", "", "account id the remediator runs in (required)")
	if err := fs.Parse(args); err != nil {
		return exitHarness
	}
	if *home == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "wk member-role: -home-account is required and takes no arguments")
		return exitHarness
	}
	cfg, err := config.Load(*cfgPath)
	if err != nil {
		fmt.Fprintf(stderr, "wk member-role: %v\n", err)
		return exitHarness
	}
	tmpl, err := remediate.MemberRoleTemplate(cfg, remediate.Default(), *home)
	if err != nil {
		fmt.Fprintf(stderr, "wk member-role: %v\n", err)
		return exitHarness
	}
	fmt.Fprintf(stdout, "%s\n", tmpl)
	return exitOK
}
