package main

import (
	"encoding/base64"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2/assertions"
	"github.com/aws/jsii-runtime-go"
)

// minSuppressionReason is the shortest reason accepted for a cdk-nag
// suppression: enough for a sentence that names why, not "not needed".
const minSuppressionReason = 60

func TestNagAwsSolutions(t *testing.T) {
	bothSynths(t, func(t *testing.T, s *synthesis) {
		ann := s.Annotations()
		for _, e := range *ann.FindError(jsii.String("*"), assertions.Match_StringLikeRegexp(jsii.String("AwsSolutions-.*"))) {
			t.Errorf("cdk-nag error at %s: %v", *e.Id, e.Entry.Data)
		}
		for _, w := range *ann.FindWarning(jsii.String("*"), assertions.Match_AnyValue()) {
			t.Logf("warning at %s: %v", *w.Id, w.Entry.Data)
		}

		suppressions := 0
		for id, r := range s.template["Resources"].(obj) {
			for _, sup := range asSlice(dig(r, "Metadata", "cdk_nag", "rules_to_suppress")) {
				suppressions++
				sup := sup.(obj)
				reason, _ := sup["reason"].(string)
				if sup["is_reason_encoded"] == true {
					b, err := base64.StdEncoding.DecodeString(reason)
					if err != nil {
						t.Errorf("%s: undecodable reason: %v", id, err)
					}
					reason = string(b)
				}
				if len(reason) < minSuppressionReason {
					t.Errorf("%s: suppression of %v has a %d-character reason %q; explain it (at least %d)",
						id, sup["id"], len(reason), reason, minSuppressionReason)
				}
			}
		}
		if suppressions == 0 {
			t.Error("no cdk-nag suppressions found in the template metadata; the check above tested nothing")
		}
	})
}
