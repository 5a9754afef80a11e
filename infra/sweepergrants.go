package main

import (
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"

	"github.com/watchkeeper/watchkeeper/shared/config"
	"github.com/watchkeeper/watchkeeper/shared/sweep"
)

// sweeperJobs are the jobs whose permissions the sweeper needs: those the
// schedules run, plus reconcile when alarm profiles exist, since EC2 state
// changes make the sweeper put and delete the profiles' alarms even when no
// reconcile is scheduled.
func sweeperJobs(cfg *config.Config, scheduled []string) []string {
	jobs := slices.Clone(scheduled)
	if len(cfg.Alarms.Profiles) > 0 && !slices.Contains(jobs, sweep.JobReconcile) {
		jobs = append(jobs, sweep.JobReconcile)
	}
	slices.Sort(jobs)
	return jobs
}

// sweeperScopedGrants are the jobs' actions limited to named resources (the
// reconcile job writes only alarms named with the managed prefix), with the
// ARN patterns' ${Partition}, ${Region} and ${Account} filled from env.
func sweeperScopedGrants(jobs []string, env arnEnv) ([]grant, error) {
	var out []grant
	var errs []error
	r := strings.NewReplacer("${Partition}", env.Partition, "${Region}", env.Region, "${Account}", env.Account)
	for _, j := range jobs {
		spec, err := sweep.LookupJob(j)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for i, sp := range spec.Scoped {
			g := grant{
				Sid:     "SweeperJob" + constructID(j) + string(rune('A'+i)),
				Actions: sortedUnique(sp.Actions),
				Wildcards: map[string]string{
					`/^Resource::arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:` + config.AutoAlarmPrefix + `\*$/`: "The " + j +
						" job manages the alarm profiles' alarms, created at run time for instances and functions that appear later; " +
						"their names are not known at deploy time but all start with " + config.AutoAlarmPrefix + ", which configured alarms may not use.",
				},
			}
			for _, res := range sp.Resources {
				g.Resources = append(g.Resources, r.Replace(res))
			}
			out = append(out, g)
		}
	}
	return out, errors.Join(errs...)
}

// digestGrants let the digest job send as the email channels' senders, like
// the notifier: on the address identity and its domain's.
func digestGrants(cfg *config.Config, jobs []string, env arnEnv) ([]grant, error) {
	if !slices.Contains(jobs, sweep.JobDigest) {
		return nil, nil
	}
	var identities []string
	var errs []error
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
		identities = append(identities, prefix+addr.Address, prefix+domain)
	}
	if len(errs) > 0 || len(identities) == 0 {
		return nil, errors.Join(errs...)
	}
	return []grant{{Sid: "SweeperDigestEmail", Actions: []string{"ses:SendEmail"}, Resources: sortedUnique(identities)}}, nil
}
