package remediate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/watchkeeper/watchkeeper/shared/alert"
)

// World-open CIDR blocks.
const (
	anyIPv4 = "0.0.0.0/0"
	anyIPv6 = "::/0"
)

// Port numbers bound the ports parameter.
const (
	minPort = 0
	maxPort = 65535
)

// revokeOpenIngress removes security group ingress rules open to the whole
// internet on sensitive ports (CIS AWS Foundations 5.2/5.3: no 0.0.0.0/0 or
// ::/0 ingress to remote administration ports).
type revokeOpenIngress struct{}

// sgPlan is revoke-open-ingress's Plan.Data.
type sgPlan struct {
	GroupID  string
	Ports    []int
	AllPorts bool
	// Revoke holds one permission per world-open range to remove, with its
	// description kept for Undo.
	Revoke []ec2types.IpPermission
}

func (revokeOpenIngress) Name() string { return "revoke-open-ingress" }

func (revokeOpenIngress) Schema() ParamSchema {
	return ParamSchema{
		Params: []Param{
			{Name: "ports", Type: TypeIntList, Default: []int{22, 3389},
				Description: "ports whose world-open ingress is revoked; a rule whose port range includes one counts, and so does protocol -1 (all traffic)"},
			{Name: "all_ports", Type: TypeBool, Default: false,
				Description: "revoke every ingress rule open to 0.0.0.0/0 or ::/0, whatever its ports and protocol"},
		},
		Check: func(p Params) error {
			ports := p.Ints("ports")
			if len(ports) == 0 && !p.Bool("all_ports") {
				return errors.New("ports is empty and all_ports is false: the action would never revoke anything")
			}
			for _, port := range ports {
				if port < minPort || port > maxPort {
					return fmt.Errorf("port %d is outside %d-%d", port, minPort, maxPort)
				}
			}
			return nil
		},
	}
}

func (revokeOpenIngress) Permissions() []string {
	return []string{"ec2:DescribeSecurityGroups", "ec2:RevokeSecurityGroupIngress"}
}

func (revokeOpenIngress) Example() string {
	return `remediation:
  rules:
    - name: close-open-ssh
      matchers: ['event_name=AuthorizeSecurityGroupIngress']
      action: revoke-open-ingress
      params:
        ports: [22, 3389]
`
}

// Target takes the group from requestParameters.groupId of an EC2 API call
// (AuthorizeSecurityGroupIngress, ModifySecurityGroupRules, …) or from a
// security group resource of a finding.
func (revokeOpenIngress) Target(a alert.Alert, _ Params) (Target, error) {
	t := Target{Type: "AWS::EC2::SecurityGroup", Region: regionOf(a), Account: accountOf(a)}
	if fromEvent(a, "ec2.amazonaws.com") {
		if id := requestParam(a, "groupId"); strings.HasPrefix(id, "sg-") {
			t.ID, t.From = id, fromRequest+"groupId"
			return t, nil
		}
	}
	if r, ok := resourceOfType(a, "AWS::EC2::SecurityGroup", "AwsEc2SecurityGroup"); ok && strings.HasPrefix(r.ID, "sg-") {
		t.ID, t.ARN, t.From = r.ID, r.ARN, fromResource+r.Type
		if r.Region != "" {
			t.Region = r.Region
		}
		if r.Account != "" {
			t.Account = r.Account
		}
		return t, nil
	}
	return Target{}, noTarget("security group", "requestParameters.groupId of EC2 API calls", "security group resources")
}

func describeGroup(ctx context.Context, c EC2API, id string) (ec2types.SecurityGroup, error) {
	out, err := c.DescribeSecurityGroups(ctx, &ec2.DescribeSecurityGroupsInput{GroupIds: []string{id}})
	if err != nil {
		return ec2types.SecurityGroup{}, fmt.Errorf("describe security group %s: %w", id, err)
	}
	for _, g := range out.SecurityGroups {
		if aws.ToString(g.GroupId) == id {
			return g, nil
		}
	}
	return ec2types.SecurityGroup{}, fmt.Errorf("describe security group %s: not found", id)
}

func (r revokeOpenIngress) Plan(ctx context.Context, c Clients, t Target, p Params) (Plan, error) {
	if c.EC2 == nil {
		return Plan{}, missing("EC2")
	}
	g, err := describeGroup(ctx, c.EC2, t.ID)
	if err != nil {
		return Plan{}, err
	}
	d := &sgPlan{GroupID: t.ID, Ports: p.Ints("ports"), AllPorts: p.Bool("all_ports")}
	d.Revoke = openRules(g.IpPermissions, d.Ports, d.AllPorts)
	plan := Plan{Action: r.Name(), Target: t, Data: d, TagsRead: true, Tags: ec2Tags(g.Tags)}
	for _, perm := range d.Revoke {
		plan.Changes = append(plan.Changes, "revoke "+describePermission(perm))
	}
	switch n := len(plan.Changes); n {
	case 0:
		plan.Summary = fmt.Sprintf("%s has no ingress open to the internet on %s", t.ID, portsPhrase(d.Ports, d.AllPorts))
	case 1:
		plan.Summary = fmt.Sprintf("on %s %s", t.ID, plan.Changes[0])
	default:
		plan.Summary = fmt.Sprintf("on %s revoke %d world-open ingress rules", t.ID, n)
	}
	return plan, nil
}

func (revokeOpenIngress) Apply(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*sgPlan](p)
	if err != nil {
		return err
	}
	if c.EC2 == nil {
		return missing("EC2")
	}
	g, err := describeGroup(ctx, c.EC2, d.GroupID)
	if err != nil {
		return err
	}
	// Revoke only what is still there, so a second Apply sends nothing and a
	// rule someone already removed does not fail the call.
	var still []ec2types.IpPermission
	current := openRules(g.IpPermissions, nil, true)
	for _, want := range d.Revoke {
		for _, have := range current {
			if samePermission(want, have) {
				still = append(still, bare(want))
				break
			}
		}
	}
	if len(still) == 0 {
		return nil
	}
	if _, err := c.EC2.RevokeSecurityGroupIngress(ctx, &ec2.RevokeSecurityGroupIngressInput{
		GroupId:       aws.String(d.GroupID),
		IpPermissions: still,
	}); err != nil {
		return fmt.Errorf("revoke ingress on %s: %w", d.GroupID, err)
	}
	return nil
}

func (revokeOpenIngress) Verify(ctx context.Context, c Clients, p Plan) error {
	d, err := planData[*sgPlan](p)
	if err != nil {
		return err
	}
	if c.EC2 == nil {
		return missing("EC2")
	}
	g, err := describeGroup(ctx, c.EC2, d.GroupID)
	if err != nil {
		return err
	}
	if left := openRules(g.IpPermissions, d.Ports, d.AllPorts); len(left) > 0 {
		names := make([]string, len(left))
		for i, perm := range left {
			names[i] = describePermission(perm)
		}
		return fmt.Errorf("%w: %s still allows %s", ErrVerify, d.GroupID, strings.Join(names, "; "))
	}
	return nil
}

// undoPermission is the AWS CLI's JSON shape of --ip-permissions.
type undoPermission struct {
	IPProtocol string      `json:"IpProtocol"`
	FromPort   *int32      `json:"FromPort,omitempty"`
	ToPort     *int32      `json:"ToPort,omitempty"`
	IPRanges   []undoRange `json:"IpRanges,omitempty"`
	IPv6Ranges []undoRange `json:"Ipv6Ranges,omitempty"`
}

type undoRange struct {
	CidrIP      string `json:"CidrIp,omitempty"`
	CidrIPv6    string `json:"CidrIpv6,omitempty"`
	Description string `json:"Description,omitempty"`
}

func (revokeOpenIngress) Undo(p Plan) string {
	d, err := planData[*sgPlan](p)
	if err != nil || len(d.Revoke) == 0 {
		return ""
	}
	perms := make([]undoPermission, 0, len(d.Revoke))
	for _, perm := range d.Revoke {
		u := undoPermission{IPProtocol: aws.ToString(perm.IpProtocol), FromPort: perm.FromPort, ToPort: perm.ToPort}
		for _, r := range perm.IpRanges {
			u.IPRanges = append(u.IPRanges, undoRange{CidrIP: aws.ToString(r.CidrIp), Description: aws.ToString(r.Description)})
		}
		for _, r := range perm.Ipv6Ranges {
			u.IPv6Ranges = append(u.IPv6Ranges, undoRange{CidrIPv6: aws.ToString(r.CidrIpv6), Description: aws.ToString(r.Description)})
		}
		perms = append(perms, u)
	}
	js, err := json.Marshal(perms)
	if err != nil {
		return ""
	}
	return cli(withRegion([]string{"ec2", "authorize-security-group-ingress", "--group-id", d.GroupID, "--ip-permissions", string(js)}, p.Target.Region)...)
}

// openRules returns, for each permission that covers one of ports (or any,
// when all is set), a permission holding only its world-open ranges.
func openRules(perms []ec2types.IpPermission, ports []int, all bool) []ec2types.IpPermission {
	var out []ec2types.IpPermission
	for _, perm := range perms {
		if !covers(perm, ports, all) {
			continue
		}
		open := ec2types.IpPermission{IpProtocol: perm.IpProtocol, FromPort: perm.FromPort, ToPort: perm.ToPort}
		for _, r := range perm.IpRanges {
			if aws.ToString(r.CidrIp) == anyIPv4 {
				open.IpRanges = append(open.IpRanges, ec2types.IpRange{CidrIp: r.CidrIp, Description: r.Description})
			}
		}
		for _, r := range perm.Ipv6Ranges {
			if aws.ToString(r.CidrIpv6) == anyIPv6 {
				open.Ipv6Ranges = append(open.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: r.CidrIpv6, Description: r.Description})
			}
		}
		if len(open.IpRanges)+len(open.Ipv6Ranges) > 0 {
			out = append(out, open)
		}
	}
	return out
}

// allProtocols reports whether an IpProtocol value means every protocol.
func allProtocols(proto string) bool { return proto == "-1" || strings.EqualFold(proto, "all") }

// covers reports whether the permission lets traffic reach one of ports.
// Protocol -1 reaches every port; TCP and UDP reach FromPort..ToPort; other
// protocols (ICMP, ESP, …) have no ports and count only with all.
func covers(perm ec2types.IpPermission, ports []int, all bool) bool {
	if all {
		return true
	}
	proto := strings.ToLower(aws.ToString(perm.IpProtocol))
	if allProtocols(proto) {
		return true
	}
	switch proto {
	case "tcp", "udp", "6", "17":
	default:
		return false
	}
	from, to := aws.ToInt32(perm.FromPort), aws.ToInt32(perm.ToPort)
	if perm.FromPort == nil || perm.ToPort == nil || from < 0 || to < 0 {
		return true
	}
	for _, port := range ports {
		if int32(port) >= from && int32(port) <= to {
			return true
		}
	}
	return false
}

// samePermission compares protocol, ports and ranges, ignoring descriptions.
func samePermission(a, b ec2types.IpPermission) bool {
	if !strings.EqualFold(aws.ToString(a.IpProtocol), aws.ToString(b.IpProtocol)) {
		return false
	}
	if !allProtocols(aws.ToString(a.IpProtocol)) &&
		(aws.ToInt32(a.FromPort) != aws.ToInt32(b.FromPort) || aws.ToInt32(a.ToPort) != aws.ToInt32(b.ToPort)) {
		return false
	}
	for _, r := range a.IpRanges {
		found := false
		for _, s := range b.IpRanges {
			found = found || aws.ToString(r.CidrIp) == aws.ToString(s.CidrIp)
		}
		if !found {
			return false
		}
	}
	for _, r := range a.Ipv6Ranges {
		found := false
		for _, s := range b.Ipv6Ranges {
			found = found || aws.ToString(r.CidrIpv6) == aws.ToString(s.CidrIpv6)
		}
		if !found {
			return false
		}
	}
	return true
}

// bare drops descriptions: a revoke matches rules by protocol, ports and range.
func bare(p ec2types.IpPermission) ec2types.IpPermission {
	out := ec2types.IpPermission{IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort}
	for _, r := range p.IpRanges {
		out.IpRanges = append(out.IpRanges, ec2types.IpRange{CidrIp: r.CidrIp})
	}
	for _, r := range p.Ipv6Ranges {
		out.Ipv6Ranges = append(out.Ipv6Ranges, ec2types.Ipv6Range{CidrIpv6: r.CidrIpv6})
	}
	return out
}

// describePermission renders "tcp 22 from 0.0.0.0/0, ::/0".
func describePermission(p ec2types.IpPermission) string {
	proto := aws.ToString(p.IpProtocol)
	var what string
	switch {
	case allProtocols(proto):
		what = "all traffic"
	case p.FromPort == nil || aws.ToInt32(p.FromPort) < 0:
		what = proto
	case aws.ToInt32(p.FromPort) == aws.ToInt32(p.ToPort):
		what = fmt.Sprintf("%s %d", proto, aws.ToInt32(p.FromPort))
	default:
		what = fmt.Sprintf("%s %d-%d", proto, aws.ToInt32(p.FromPort), aws.ToInt32(p.ToPort))
	}
	var cidrs []string
	for _, r := range p.IpRanges {
		cidrs = append(cidrs, aws.ToString(r.CidrIp))
	}
	for _, r := range p.Ipv6Ranges {
		cidrs = append(cidrs, aws.ToString(r.CidrIpv6))
	}
	return what + " from " + strings.Join(cidrs, ", ")
}

func portsPhrase(ports []int, all bool) string {
	if all {
		return "any port"
	}
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = strconv.Itoa(p)
	}
	if len(s) == 1 {
		return "port " + s[0]
	}
	return "ports " + strings.Join(s, ", ")
}

func ec2Tags(tags []ec2types.Tag) map[string]string {
	out := make(map[string]string, len(tags))
	for _, t := range tags {
		out[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	return out
}

// planData returns the plan's Data as the action's own type.
func planData[T any](p Plan) (T, error) {
	d, ok := p.Data.(T)
	if !ok {
		var zero T
		return zero, fmt.Errorf("plan for %s carries %T, not %T: it was not made by this action's Plan", p.Action, p.Data, zero)
	}
	return d, nil
}
