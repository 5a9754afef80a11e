package config

import "fmt"

// DeployCheck reports what synth rejects on top of Validate: the extras only
// a local profile may use. File channels have nowhere to write in Lambda, and
// secrets given as env:NAME or as literal values would end up in the
// template or the function environment. Errors are *Errors with positions.
func (c *Config) DeployCheck() error {
	errs := &errList{src: c.src}
	for i := range c.Notifications.Channels {
		ch := &c.Notifications.Channels[i]
		p := indexPath("notifications.channels", i)
		if ch.APIURL != "" {
			errs.addf(p+".api_url", "channel %q: api_url points the bot at a local Slack stand-in; it is for the local profile only", ch.Name)
		}
		if ch.Type == ChannelFile {
			errs.addf(p+".type", "channel %q: file channels are for the local profile only; use slack, teams, email, pagerduty, webhook or sns", ch.Name)
		}
		for _, f := range ch.secretFields() {
			switch f.ref.Kind() {
			case EnvVar:
				errs.addf(p+"."+f.key, "channel %q: %s is an env: reference; deployed secrets must be a Secrets Manager ARN or ssm:/parameter", ch.Name, f.ref.String())
			case Literal:
				errs.addf(p+"."+f.key, "channel %q: %s is a literal secret; store it in Secrets Manager or SSM and reference it (arn:aws:secretsmanager:… or ssm:/…)", ch.Name, f.key)
			}
		}
	}
	return errs.err()
}

// Source is the file name the Config was parsed from ("" when built in code).
func (c *Config) Source() string {
	if c.src == nil {
		return ""
	}
	return c.src.file
}

// String summarizes the config without secrets, for logs.
func (c *Config) String() string {
	return fmt.Sprintf("watchkeeper config v%d (stack %s, %d channels, %d alarms, %d schedules, %d event rules)",
		c.Version, c.Deployment.StackName, len(c.Notifications.Channels),
		len(c.Alarms.Metric)+len(c.Alarms.Log), len(c.Schedules), len(c.Events))
}
