package main

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/evidence"
	"github.com/watchkeeper/watchkeeper/shared/remediate"
	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

// arnEnv is where ARNs are built: CloudFormation pseudo-parameter tokens at
// synth, literal values in unit tests.
type arnEnv struct {
	Partition string
	Region    string
	Account   string
	URLSuffix string
}

// grant is one IAM statement derived from the config, kept as plain Go
// values so the derivation can be tested without synthesizing.
type grant struct {
	Sid       string
	Actions   []string
	Resources []string
	// Conditions is operator → key → values.
	Conditions map[string]map[string][]string
	// Wildcards maps a cdk-nag IAM5 finding regex to the reason the wildcard is needed.
	Wildcards map[string]string
}

// secretsManagerSuffixLen is the length of the random suffix Secrets Manager
// appends to a secret's name in its ARN.
// https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access_iam-policies.html#auth-and-access_examples_wildcard
const secretsManagerSuffixLen = 6

// secretRefARN resolves a deployable SecretRef to the ARNs the notifier
// reads and the region and account of the key that may encrypt it. Other
// kinds (env:, literals) return kind SecretNone: DeployCheck rejects them.
func secretRefARN(ref config.SecretRef, env arnEnv) (kind config.SecretKind, arns []string, region, account string, err error) {
	switch ref.Kind() {
	case config.SSMParameter:
		name := ref.ParameterName()
		if strings.Trim(name, "/") == "" || strings.ContainsAny(name, iamWildcards) {
			return config.SecretNone, nil, "", "", fmt.Errorf("secret ref %q names no parameter, or a pattern", string(ref))
		}
		return config.SSMParameter, []string{ssmParameterARN(name, env)}, env.Region, env.Account, nil
	case config.SecretsManager:
		arn := ref.ARN() // "#jsonKey" selects a field of the value, not a resource
		parts := strings.SplitN(arn, ":", 7)
		if len(parts) != 7 || parts[1] == "" || parts[2] != "secretsmanager" || parts[3] == "" ||
			!isAccountID(parts[4]) || parts[5] != "secret" || parts[6] == "" || strings.ContainsAny(arn, iamWildcards) {
			return config.SecretNone, nil, "", "", fmt.Errorf("secret ref %q is not a Secrets Manager secret ARN", arn)
		}
		arns = []string{arn}
		// A partial ARN (name without the random suffix) only matches the
		// secret when the suffix is allowed; '?' matches exactly one character.
		if !hasSecretSuffix(parts[6]) {
			arns = append(arns, arn+"-"+strings.Repeat("?", secretsManagerSuffixLen))
		}
		return config.SecretsManager, arns, parts[3], parts[4], nil
	default:
		return config.SecretNone, nil, "", "", nil
	}
}

// iamWildcards are the characters a policy resource treats as patterns; a
// reference containing one would grant more than the one secret it names.
const iamWildcards = "*?"

// isAccountID reports whether s is a 12-digit AWS account id.
func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// hasSecretSuffix reports whether name ends in "-" plus the six-character random suffix.
func hasSecretSuffix(name string) bool {
	i := len(name) - secretsManagerSuffixLen - 1
	if i < 1 || name[i] != '-' {
		return false
	}
	for _, r := range name[i+1:] {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// ssmParameterARN is the ARN of parameter name in the stack's region and account.
func ssmParameterARN(name string, env arnEnv) string {
	return "arn:" + env.Partition + ":ssm:" + env.Region + ":" + env.Account + ":parameter/" + strings.TrimPrefix(name, "/")
}

// channelSecretRefs lists every secret a channel references.
func channelSecretRefs(ch config.Channel) []config.SecretRef {
	var refs []config.SecretRef
	for _, r := range []config.SecretRef{ch.WebhookURL, ch.Token, ch.RoutingKey, ch.SigningSecret} {
		if r != "" {
			refs = append(refs, r)
		}
	}
	return refs
}

// notifierGrants derives the notifier's permissions beyond the table and its log group.
func notifierGrants(cfg *config.Config, env arnEnv) ([]grant, error) {
	var (
		secretARNs, paramARNs, kmsKeys, viaServices []string
		errs                                        []error
	)
	for _, ch := range cfg.Notifications.Channels {
		for _, ref := range channelSecretRefs(ch) {
			kind, arns, region, account, err := secretRefARN(ref, env)
			if err != nil {
				errs = append(errs, fmt.Errorf("channel %s: %w", ch.Name, err))
				continue
			}
			switch kind {
			case config.SecretsManager:
				secretARNs = append(secretARNs, arns...)
				partition := strings.Split(arns[0], ":")[1]
				kmsKeys = append(kmsKeys, "arn:"+partition+":kms:"+region+":"+account+":key/*")
				viaServices = append(viaServices, "secretsmanager."+region+"."+env.URLSuffix)
			case config.SSMParameter:
				paramARNs = append(paramARNs, arns...)
				kmsKeys = append(kmsKeys, "arn:"+env.Partition+":kms:"+region+":"+account+":key/*")
				viaServices = append(viaServices, "ssm."+region+"."+env.URLSuffix)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	var grants []grant
	if len(secretARNs) > 0 {
		grants = append(grants, grant{
			Sid:       "ReadChannelSecrets",
			Actions:   []string{"secretsmanager:GetSecretValue"},
			Resources: sortedUnique(secretARNs),
		})
	}
	if len(paramARNs) > 0 {
		grants = append(grants, grant{
			Sid:       "ReadChannelParameters",
			Actions:   []string{"ssm:GetParameter"},
			Resources: sortedUnique(paramARNs),
		})
	}
	if len(kmsKeys) > 0 {
		grants = append(grants, grant{
			Sid:        "DecryptChannelSecrets",
			Actions:    []string{"kms:Decrypt"},
			Resources:  sortedUnique(kmsKeys),
			Conditions: map[string]map[string][]string{"StringEquals": {"kms:ViaService": sortedUnique(viaServices)}},
			Wildcards: map[string]string{
				`/^Resource::arn:.+:kms:.+:key\/\*$/`: "The customer managed keys that encrypt the channel " +
					"secrets and SecureString parameters are chosen by the operator and unknown at synth; kms:Decrypt is " +
					"limited to keys of the secrets' own region and account and, by the kms:ViaService condition, to " +
					"calls Secrets Manager or SSM make on the notifier's behalf.",
			},
		})
	}

	if evidence.GraphsWanted(cfg.Notifications) {
		grants = append(grants, grant{
			Sid:       "RenderMetricGraphs",
			Actions:   []string{"cloudwatch:GetMetricWidgetImage"},
			Resources: []string{"*"},
			Wildcards: map[string]string{
				`/^Resource::\*$/`: "cloudwatch:GetMetricWidgetImage supports no resource-level permissions (Service " +
					"Authorization Reference, Amazon CloudWatch); it only renders a graph of metrics and reads nothing else.",
			},
		})
	}

	var logGroups []string
	for _, a := range cfg.Alarms.Log {
		if a.LogGroup != "" {
			logGroups = append(logGroups, "arn:"+env.Partition+":logs:"+env.Region+":"+env.Account+":log-group:"+a.LogGroup+":*")
		}
	}
	if len(logGroups) > 0 {
		grants = append(grants, grant{
			Sid:       "ReadLogAlarmEvents",
			Actions:   []string{"logs:FilterLogEvents"},
			Resources: sortedUnique(logGroups),
			Wildcards: map[string]string{
				`/^Resource::arn:.+:logs:.+:log-group:.+:\*$/`: "logs:FilterLogEvents is authorized on the " +
					"log group ARN, whose ':*' suffix stands for its log streams; only the exact groups named by " +
					"configured log alarms are listed, to quote the events that fired them.",
			},
		})
	}

	var identities []string
	for _, ch := range cfg.Notifications.Channels {
		if ch.Type != config.ChannelEmail {
			continue
		}
		addr, err := mail.ParseAddress(ch.From)
		if err != nil {
			errs = append(errs, fmt.Errorf("channel %s: from %q: %w", ch.Name, ch.From, err))
			continue
		}
		_, domain, _ := strings.Cut(addr.Address, "@")
		prefix := "arn:" + env.Partition + ":ses:" + env.Region + ":" + env.Account + ":identity/"
		// SES authorizes against the address identity or, when only the domain is verified, the domain identity.
		identities = append(identities, prefix+addr.Address, prefix+domain)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(identities) > 0 {
		grants = append(grants, grant{
			Sid:       "SendEmail",
			Actions:   []string{"ses:SendEmail"},
			Resources: sortedUnique(identities),
		})
	}

	var topics []string
	for _, ch := range cfg.Notifications.Channels {
		if ch.Type == config.ChannelSNS && ch.TopicARN != "" {
			topics = append(topics, ch.TopicARN)
		}
	}
	if len(topics) > 0 {
		grants = append(grants, grant{
			Sid:       "PublishToChannelTopics",
			Actions:   []string{"sns:Publish"},
			Resources: sortedUnique(topics),
		})
	}
	grants = append(grants, notifierLinkGrants(cfg, env)...)
	grants = append(grants, notifierRunbookTagsGrant(env))
	return grants, nil
}

// remediatorGrants derives the remediator's permissions beyond the table,
// its log group and the bus: the kill switch, and what the configured rules'
// actions need according to the remediation registry. A rule that can only
// dry-run gets the read half of its action (Plan only reads).
func remediatorGrants(cfg *config.Config, env arnEnv, registry *remediate.Registry) ([]grant, error) {
	var grants []grant
	if p := cfg.Remediation.KillSwitchParameter; p != "" {
		grants = append(grants, grant{
			Sid:       "ReadKillSwitch",
			Actions:   []string{"ssm:GetParameter"},
			Resources: []string{ssmParameterARN(p, env)},
		})
	}
	if g := memberRoleGrant(cfg, env); g != nil {
		grants = append(grants, *g)
	}
	var actions []string
	var errs []error
	for _, rule := range cfg.Remediation.Rules {
		perms, err := registry.Permissions([]string{rule.Action})
		if err != nil {
			errs = append(errs, fmt.Errorf("remediation rule %s: %w", rule.Name, err))
			continue
		}
		mode := rule.Mode
		if mode == "" {
			mode = cfg.Remediation.Mode
		}
		for _, p := range perms {
			if mode == config.ModeEnforce || isReadAction(p) {
				actions = append(actions, p)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(actions) > 0 {
		grants = append(grants, grant{
			Sid:       "RemediationActions",
			Actions:   sortedUnique(actions),
			Resources: []string{"*"},
			Wildcards: map[string]string{
				`/^Resource::\*$/`: "Remediation acts on whichever resource a finding names (any security group, " +
					"Auto Scaling group, bucket, trail or access key of the account), so the resources cannot be listed " +
					"at synth. Only the actions of configured rules are granted, write actions only for rules in " +
					"enforce mode, and the guardrails (kill switch, opt-out tag, protected ARNs, account and region " +
					"lists, rate limit) bound every call.",
			},
		})
	}
	if registry != nil {
		scoped, err := remediatorScopedGrants(cfg.Remediation, registry)
		if err != nil {
			return nil, err
		}
		grants = append(grants, scoped...)
	}
	return grants, nil
}

// isReadAction reports whether an IAM action only reads (Describe, Get, List).
func isReadAction(action string) bool {
	_, op, _ := strings.Cut(action, ":")
	for _, prefix := range []string{"Describe", "Get", "List"} {
		if strings.HasPrefix(op, prefix) {
			return true
		}
	}
	return false
}

// statement converts a grant to an IAM policy statement.
func (g grant) statement() awsiam.PolicyStatement {
	props := &awsiam.PolicyStatementProps{
		Sid:       jsii.String(g.Sid),
		Effect:    awsiam.Effect_ALLOW,
		Actions:   jsii.Strings(g.Actions...),
		Resources: jsii.Strings(g.Resources...),
	}
	if len(g.Conditions) > 0 {
		cond := map[string]interface{}{}
		for op, kv := range g.Conditions {
			inner := map[string]interface{}{}
			for k, vs := range kv {
				inner[k] = vs
			}
			cond[op] = inner
		}
		props.Conditions = &cond
	}
	return awsiam.NewPolicyStatement(props)
}

// applyGrants adds grants to role and records a cdk-nag justification for each wildcard.
func applyGrants(role awsiam.Role, grants []grant) {
	for _, g := range grants {
		role.AddToPrincipalPolicy(g.statement())
		justifyWildcards(role, g.Wildcards)
	}
}

// justifyWildcards suppresses AwsSolutions-IAM5 for exactly the findings the
// regexes match, each with its own reason.
func justifyWildcards(role awsiam.Role, wildcards map[string]string) {
	keys := make([]string, 0, len(wildcards))
	for k := range wildcards {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, re := range keys {
		cdknag.NagSuppressions_AddResourceSuppressions(role, &[]*cdknag.NagPackSuppression{{
			Id:        jsii.String("AwsSolutions-IAM5"),
			Reason:    jsii.String(wildcards[re]),
			AppliesTo: &[]interface{}{&cdknag.RegexAppliesTo{Regex: jsii.String(re)}},
		}}, jsii.Bool(true))
	}
}

// sortedUnique returns the distinct values of s in order.
func sortedUnique(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// sweeperGrants are the read-only actions of the jobs the schedules run.
func sweeperGrants(jobs []string) ([]grant, error) {
	var actions []string
	var errs []error
	for _, j := range jobs {
		spec, err := sweep.LookupJob(j)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		actions = append(actions, spec.Permissions...)
	}
	if len(errs) > 0 || len(actions) == 0 {
		return nil, errors.Join(errs...)
	}
	return []grant{{
		Sid:       "SweeperJobs",
		Actions:   sortedUnique(actions),
		Resources: []string{"*"},
		Wildcards: map[string]string{
			`/^Resource::\*$/`: "The posture sweep lists every security group, bucket and trail of the account: " +
				"DescribeSecurityGroups, ListAllMyBuckets and DescribeTrails support no resource-level permissions, " +
				"and the per-bucket and per-trail reads must reach resources created outside this stack. " +
				"The same holds for the other account-wide reads of the sweeper's jobs (IAM users and keys, the account summary, " +
				"GuardDuty detectors, alarms, rules, instances and functions for alarm profiles, the digest's metric chart). " +
				"Only read actions of the jobs are granted.",
		},
	}}, nil
}
