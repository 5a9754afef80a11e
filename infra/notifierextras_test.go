package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/aws/jsii-runtime-go"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// checkLinkGrants checks the notifier's graph bucket and account alias
// grants in a synthesized role against the config.
func checkLinkGrants(t *testing.T, cfg *config.Config, sts []obj) {
	t.Helper()
	put := flattenAll(resourcesFor(sts, "s3:PutObject"))
	get := flattenAll(resourcesFor(sts, "s3:GetObject"))
	if b := cfg.Notifications.GraphBucket; b != "" {
		want := ":s3:::" + b + "/graphs/*"
		for name, got := range map[string][]string{"s3:PutObject": put, "s3:GetObject": get} {
			if len(got) != 1 || !strings.HasSuffix(got[0], want) {
				t.Errorf("%s on %v, want only %s", name, got, want)
			}
		}
	} else if len(put)+len(get) > 0 {
		t.Errorf("S3 access %v %v without a graph bucket", put, get)
	}
	acts := actions(sts)
	if got, want := slices.Contains(acts, "iam:ListAccountAliases"), cfg.Deployment.AccountAlias == ""; got != want {
		t.Errorf("iam:ListAccountAliases granted = %v, want %v (account_alias %q)", got, want, cfg.Deployment.AccountAlias)
	}
}

// checkEmailSubscriptions checks that the alarm topic has exactly the given
// number of function subscriptions plus one email subscription per configured
// address.
func checkEmailSubscriptions(t *testing.T, s *synthesis, topicID string, functions int) {
	t.Helper()
	addrs := s.cfg.Notifications.EmailSubscriptions
	if s.name == optionsSynth && len(addrs) == 0 {
		t.Fatal("testdata/options.yaml must list email_subscriptions")
	}
	for _, a := range addrs {
		check(t, "email subscription "+a, func() {
			s.assert.HasResourceProperties(jsii.String("AWS::SNS::Subscription"), like(obj{
				"Protocol": "email",
				"TopicArn": obj{"Ref": topicID},
				"Endpoint": a,
			}))
		})
	}
	check(t, "only the functions and the email addresses subscribe", func() {
		s.assert.ResourceCountIs(jsii.String("AWS::SNS::Subscription"), jsii.Number(float64(functions+len(addrs))))
	})
}

func TestNotifierLinkGrants(t *testing.T) {
	cfg := &config.Config{}
	if gs := notifierLinkGrants(cfg, testEnv); len(gs) != 1 || gs[0].Sid != "ReadAccountAlias" || len(gs[0].Wildcards) == 0 {
		t.Errorf("no alias, no bucket: %+v", gs)
	}
	cfg.Deployment.AccountAlias = "acme"
	cfg.Notifications.GraphBucket = "wk-graphs"
	gs := notifierLinkGrants(cfg, testEnv)
	if len(gs) != 1 || gs[0].Sid != "StoreMetricGraphs" || !slices.Equal(gs[0].Resources, []string{"arn:aws:s3:::wk-graphs/graphs/*"}) ||
		!slices.Equal(gs[0].Actions, []string{"s3:GetObject", "s3:PutObject"}) {
		t.Errorf("alias and bucket: %+v", gs)
	}
	for re, reason := range gs[0].Wildcards {
		if len(reason) < minSuppressionReason {
			t.Errorf("reason for %s too short", re)
		}
	}
}
