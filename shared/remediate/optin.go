package remediate

import (
	"fmt"
	"strings"
)

// GuardrailOptIn skips a resource in opt-in mode (guardrails.opt_in_tag set)
// that does not carry the opt-in tag, or whose tags the action does not read
// while its rule is not opt_in_exempt.
const GuardrailOptIn = "opt-in"

// optInTag is guardrails.opt_in_tag parsed; the zero value (unset) is
// opt-in mode off.
type optInTag struct {
	tag optOutTag // same syntax: key=value, or a bare key matching any value
	on  bool
}

// parseOptIn parses guardrails.opt_in_tag; "" leaves opt-in mode off.
func parseOptIn(s string) optInTag {
	if strings.TrimSpace(s) == "" {
		return optInTag{}
	}
	k, v, ok := strings.Cut(s, "=")
	return optInTag{tag: optOutTag{key: strings.TrimSpace(k), value: strings.TrimSpace(v), anyValue: !ok}, on: true}
}

// check is the opt-in guardrail on a plan: "" when the rule may act on the
// planned resource, else the guardrail and why. Opt-in mode refuses what it
// cannot prove opted in: a resource whose tags the action does not read is
// acted on only when its rule says opt_in_exempt.
func (o optInTag) check(plan Plan, exempt bool) (guardrail, why string) {
	switch {
	case !o.on:
		return "", ""
	case !plan.TagsRead && exempt:
		return "", ""
	case !plan.TagsRead:
		return GuardrailOptIn, fmt.Sprintf("opt-in mode (%s): %s does not read the tags of %s; set opt_in_exempt on the rule to act on it",
			o.tag, plan.Action, plan.Target.Name())
	case !o.tag.in(plan.Tags):
		return GuardrailOptIn, fmt.Sprintf("%s is not tagged %s (opt-in mode)", plan.Target.Name(), o.tag)
	}
	return "", ""
}
