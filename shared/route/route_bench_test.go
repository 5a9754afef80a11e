package route

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// benchTree is a generated routing tree of exactly 100 routes: the root, 9
// team routes (equality matchers, every third with continue) and 10 children
// each (regex, negative regex and equality matchers, some nested group_by).
func benchTree() config.Route {
	root := config.Route{Receiver: "default", GroupBy: []string{"alarm"}}
	for t := range 9 {
		team := config.Route{
			Receiver: fmt.Sprintf("team-%d", t),
			Matchers: []string{fmt.Sprintf("team=team-%d", t)},
			Continue: t%3 == 0,
		}
		for c := range 10 {
			var ms []string
			switch c % 4 {
			case 0:
				ms = []string{fmt.Sprintf(`alarm=~"svc-%d[0-9]*-(cpu|mem).*"`, c), `severity=~"critical|high"`}
			case 1:
				ms = []string{`region!~"us-.*"`, fmt.Sprintf("service=svc-%d", c)}
			case 2:
				ms = []string{`source="cloudwatch.alarm"`, fmt.Sprintf(`alarm=~".*-%d-disk"`, c)}
			default:
				ms = []string{fmt.Sprintf(`resource_type=~"AWS::(EC2|RDS)::.*"`), fmt.Sprintf("env!=dev-%d", c)}
			}
			team.Routes = append(team.Routes, config.Route{Receiver: fmt.Sprintf("team-%d-%d", t, c), Matchers: ms, Continue: c%5 == 0})
		}
		root.Routes = append(root.Routes, team)
	}
	return root
}

func countRoutes(r *Route) int {
	n := 1
	for _, c := range r.Routes {
		n += countRoutes(c)
	}
	return n
}

func benchAlerts(n int) []map[string]string {
	rng := rand.New(rand.NewPCG(1, 2))
	regions := []string{"us-east-1", "eu-west-1", "ap-northeast-1"}
	sevs := []string{"critical", "high", "medium", "low"}
	kinds := []string{"cpu", "mem", "disk", "5xx"}
	types := []string{"AWS::EC2::Instance", "AWS::RDS::DBInstance", "AWS::Lambda::Function"}
	out := make([]map[string]string, n)
	for i := range out {
		svc := rng.IntN(40)
		out[i] = map[string]string{
			"team":          fmt.Sprintf("team-%d", rng.IntN(12)),
			"alarm":         fmt.Sprintf("svc-%d-%d-%s", svc, rng.IntN(10), kinds[rng.IntN(len(kinds))]),
			"service":       fmt.Sprintf("svc-%d", svc%10),
			"severity":      sevs[rng.IntN(len(sevs))],
			"region":        regions[rng.IntN(len(regions))],
			"source":        "cloudwatch.alarm",
			"resource_type": types[rng.IntN(len(types))],
			"env":           fmt.Sprintf("dev-%d", rng.IntN(10)),
			"account":       "123456789012",
		}
	}
	return out
}

// BenchmarkRouting10kAlerts100Routes routes 10 000 alerts through a
// 100-route tree per iteration and reports alerts/s.
func BenchmarkRouting10kAlerts100Routes(b *testing.B) {
	root, err := Build(benchTree())
	if err != nil {
		b.Fatal(err)
	}
	if n := countRoutes(root); n != 100 {
		b.Fatalf("tree has %d routes, want 100", n)
	}
	alerts := benchAlerts(10_000)
	matched := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		for _, l := range alerts {
			matched += len(root.Receivers(l))
		}
	}
	b.ReportMetric(float64(len(alerts)*b.N)/b.Elapsed().Seconds(), "alerts/s")
	if matched == 0 {
		b.Fatal("no alert matched any route")
	}
}
