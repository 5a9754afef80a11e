package config

import (
	"net/mail"
	"net/url"
)

// slackAPIURL checks the local-only Slack API override: an http(s) URL, and
// only with a bot token (a webhook channel has no API to point elsewhere).
func (v *validator) slackAPIURL(p string, ch *Channel) {
	if ch.APIURL == "" {
		return
	}
	u, err := url.Parse(ch.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		v.errf(p, "%q is not an http(s) URL", ch.APIURL)
	}
	if ch.Token == "" {
		v.errf(p, "api_url applies to bot-token slack channels only")
	}
}

// emailSubscriptions checks the alarm topic's email subscribers: bare
// addresses (SNS takes no display name), each once.
func (v *validator) emailSubscriptions(p string, addrs []string) {
	seen := map[string]bool{}
	for i, a := range addrs {
		ip := indexPath(p, i)
		parsed, err := mail.ParseAddress(a)
		switch {
		case err != nil:
			v.errf(ip, "%q is not an email address", a)
		case parsed.Address != a:
			v.errf(ip, "%q: give the bare address (%s), SNS email subscriptions take no name", a, parsed.Address)
		case seen[a]:
			v.errf(ip, "%q listed twice", a)
		}
		seen[a] = true
	}
}
