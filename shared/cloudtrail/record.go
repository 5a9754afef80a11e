// Package cloudtrail models one CloudTrail record, the unit the detector
// inspects and the remediator acts on, whether it arrives in a CloudWatch Logs
// subscription batch or as the detail of an EventBridge "AWS API Call via
// CloudTrail" event.
//
// Record contents: https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html
package cloudtrail

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Identity types CloudTrail writes in userIdentity.type.
// https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
const (
	IdentityRoot            = "Root"
	IdentityIAMUser         = "IAMUser"
	IdentityAssumedRole     = "AssumedRole"
	IdentityFederatedUser   = "FederatedUser"
	IdentityAWSService      = "AWSService"
	IdentityAWSAccount      = "AWSAccount"
	IdentityCenterUser      = "IdentityCenterUser"
	IdentityDirectory       = "Directory"
	IdentitySAMLUser        = "SAMLUser"
	IdentityWebIdentityUser = "WebIdentityUser"
)

// ErrMissingField reports a record that parsed as JSON but lacks a field every
// CloudTrail record carries; callers count it as an invalid record.
var ErrMissingField = errors.New("cloudtrail record: missing required field")

// Record is one CloudTrail event record. Free-form parts (request
// parameters, response elements, additional data) stay raw JSON so nothing is
// lost and only the consumers that need them pay for decoding them.
type Record struct {
	EventVersion        string          `json:"eventVersion,omitempty"`
	UserIdentity        UserIdentity    `json:"userIdentity"`
	EventTime           time.Time       `json:"eventTime"`
	EventSource         string          `json:"eventSource"`
	EventName           string          `json:"eventName"`
	AWSRegion           string          `json:"awsRegion,omitempty"`
	SourceIPAddress     string          `json:"sourceIPAddress,omitempty"`
	UserAgent           string          `json:"userAgent,omitempty"`
	ErrorCode           string          `json:"errorCode,omitempty"`
	ErrorMessage        string          `json:"errorMessage,omitempty"`
	RequestParameters   json.RawMessage `json:"requestParameters,omitempty"`
	ResponseElements    json.RawMessage `json:"responseElements,omitempty"`
	AdditionalEventData json.RawMessage `json:"additionalEventData,omitempty"`
	RequestID           string          `json:"requestID,omitempty"`
	EventID             string          `json:"eventID,omitempty"`
	ReadOnly            bool            `json:"readOnly,omitempty"`
	Resources           []Resource      `json:"resources,omitempty"`
	EventType           string          `json:"eventType,omitempty"`
	APIVersion          string          `json:"apiVersion,omitempty"`
	ManagementEvent     bool            `json:"managementEvent,omitempty"`
	RecipientAccountID  string          `json:"recipientAccountId,omitempty"`
	SharedEventID       string          `json:"sharedEventID,omitempty"`
	VPCEndpointID       string          `json:"vpcEndpointId,omitempty"`
	VPCEndpointAccount  string          `json:"vpcEndpointAccountId,omitempty"`
	EventCategory       string          `json:"eventCategory,omitempty"`
	TLSDetails          *TLSDetails     `json:"tlsDetails,omitempty"`
	// SessionCredentialFromConsole is "true" when the call used console credentials.
	SessionCredentialFromConsole string          `json:"sessionCredentialFromConsole,omitempty"`
	ServiceEventDetails          json.RawMessage `json:"serviceEventDetails,omitempty"`
	EdgeDeviceDetails            json.RawMessage `json:"edgeDeviceDetails,omitempty"`
	Addendum                     json.RawMessage `json:"addendum,omitempty"`
}

// UserIdentity is who made the call.
type UserIdentity struct {
	Type           string          `json:"type,omitempty"`
	PrincipalID    string          `json:"principalId,omitempty"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId,omitempty"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
	// IdentityProvider names the IdP of SAML and web identity users.
	IdentityProvider string `json:"identityProvider,omitempty"`
	// CredentialID identifies bearer-token credentials.
	CredentialID string `json:"credentialId,omitempty"`
	// OnBehalfOf names the IAM Identity Center user a call was made for.
	OnBehalfOf json.RawMessage `json:"onBehalfOf,omitempty"`
}

// SessionContext describes temporary credentials.
type SessionContext struct {
	SessionIssuer       *SessionIssuer  `json:"sessionIssuer,omitempty"`
	Attributes          *Attributes     `json:"attributes,omitempty"`
	SourceIdentity      string          `json:"sourceIdentity,omitempty"`
	EC2RoleDelivery     string          `json:"ec2RoleDelivery,omitempty"`
	WebIDFederationData json.RawMessage `json:"webIdFederationData,omitempty"`
}

// SessionIssuer is the role or user that issued the session credentials.
type SessionIssuer struct {
	Type        string `json:"type,omitempty"`
	PrincipalID string `json:"principalId,omitempty"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId,omitempty"`
	UserName    string `json:"userName,omitempty"`
}

// Attributes of a session. CloudTrail writes booleans here as strings.
type Attributes struct {
	MFAAuthenticated string `json:"mfaAuthenticated,omitempty"`
	CreationDate     string `json:"creationDate,omitempty"`
}

// Resource is an entry of the record's resources list.
type Resource struct {
	ARN       string `json:"ARN,omitempty"`
	AccountID string `json:"accountId,omitempty"`
	Type      string `json:"type,omitempty"`
}

// TLSDetails of the call.
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion,omitempty"`
	CipherSuite              string `json:"cipherSuite,omitempty"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader,omitempty"`
}

// Parse decodes one CloudTrail record. It fails on invalid JSON (CloudWatch
// Logs may deliver truncated messages) and on records without eventName or
// eventSource, which no rule could match.
func Parse(b []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("cloudtrail record: %w", err)
	}
	if err := r.validate(); err != nil {
		return nil, err
	}
	return &r, nil
}

func (r *Record) validate() error {
	var missing []string
	if r.EventName == "" {
		missing = append(missing, "eventName")
	}
	if r.EventSource == "" {
		missing = append(missing, "eventSource")
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrMissingField, strings.Join(missing, ", "))
	}
	return nil
}

// Actor is the most readable name of the principal that made the call:
// "root" for the root user, the user name of IAM users, "role/session" for
// assumed roles, the invoking service for AWS services, and the ARN or
// principal id when nothing better is known.
func (r *Record) Actor() string {
	u := r.UserIdentity
	switch u.Type {
	case IdentityRoot:
		return "root"
	case IdentityAWSService:
		if u.InvokedBy != "" {
			return u.InvokedBy
		}
	case IdentityAssumedRole:
		session := lastSegment(u.ARN)
		if sc := u.SessionContext; sc != nil && sc.SessionIssuer != nil && sc.SessionIssuer.UserName != "" {
			if session != "" && session != sc.SessionIssuer.UserName {
				return sc.SessionIssuer.UserName + "/" + session
			}
			return sc.SessionIssuer.UserName
		}
		if role := assumedRoleName(u.ARN); role != "" {
			return role
		}
	case IdentityIAMUser, IdentityFederatedUser:
		if u.UserName != "" {
			return u.UserName
		}
		if name := lastSegment(u.ARN); name != "" {
			return name
		}
	}
	if u.UserName != "" {
		return u.UserName
	}
	if sc := u.SessionContext; sc != nil && sc.SessionIssuer != nil && sc.SessionIssuer.UserName != "" {
		return sc.SessionIssuer.UserName
	}
	if u.ARN != "" {
		return u.ARN
	}
	if u.PrincipalID != "" {
		return u.PrincipalID
	}
	if u.InvokedBy != "" {
		return u.InvokedBy
	}
	if u.Type != "" {
		return u.Type
	}
	return "unknown"
}

// MFAUsed reports whether the session was MFA-authenticated, or, for console
// sign-in records, whether additionalEventData says MFA was used.
func (r *Record) MFAUsed() bool {
	if sc := r.UserIdentity.SessionContext; sc != nil && sc.Attributes != nil &&
		strings.EqualFold(sc.Attributes.MFAAuthenticated, "true") {
		return true
	}
	if len(r.AdditionalEventData) > 0 {
		var extra struct {
			MFAUsed string `json:"MFAUsed"`
		}
		if json.Unmarshal(r.AdditionalEventData, &extra) == nil && strings.EqualFold(extra.MFAUsed, "yes") {
			return true
		}
	}
	return false
}

// Account is the account the event was recorded in: recipientAccountId, or the
// caller's account when the former is absent (older records).
func (r *Record) Account() string {
	if r.RecipientAccountID != "" {
		return r.RecipientAccountID
	}
	return r.UserIdentity.AccountID
}

// ConsoleURL links to the record in CloudTrail event history, or returns ""
// when the record has no event id or region.
func (r *Record) ConsoleURL() string {
	return EventHistoryURL(r.AWSRegion, r.EventID)
}

// EventHistoryURL builds the CloudTrail console link to one event in the
// event history of region (90 days of management events), choosing the
// console host of the region's partition. It returns "" without both inputs.
func EventHistoryURL(region, eventID string) string {
	if region == "" || eventID == "" {
		return ""
	}
	return ConsoleBase(region) + "/cloudtrailv2/home?region=" + url.QueryEscape(region) +
		"#/events/" + url.PathEscape(eventID)
}

// ConsoleBase is the AWS console origin for region, e.g.
// "https://eu-west-1.console.aws.amazon.com"; China and GovCloud regions use
// their partitions' console hosts.
func ConsoleBase(region string) string {
	host := "console.aws.amazon.com"
	switch {
	case strings.HasPrefix(region, "cn-"):
		host = "console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "https://console.amazonaws-us-gov.com"
	}
	if region == "" || !validRegionLabel(region) {
		return "https://" + host
	}
	return "https://" + region + "." + host
}

// validRegionLabel keeps attacker-controlled region strings (they come from
// event payloads) from turning into a different host name in a link.
func validRegionLabel(s string) bool {
	if len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}

func lastSegment(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 && i < len(arn)-1 {
		return arn[i+1:]
	}
	return ""
}

// assumedRoleName extracts RoleName from arn:aws:sts::acct:assumed-role/RoleName/Session.
func assumedRoleName(arn string) string {
	_, rest, ok := strings.Cut(arn, ":assumed-role/")
	if !ok {
		return ""
	}
	role, _, _ := strings.Cut(rest, "/")
	return role
}
