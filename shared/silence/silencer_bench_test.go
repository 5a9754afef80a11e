package silence

import (
	"fmt"
	"testing"
	"time"

	"github.com/watchkeeper/watchkeeper/shared/config"
)

// BenchmarkSilenced is one check on a warm container: 100 dynamic silences
// (cached) and 10 maintenance windows, none of which match.
func BenchmarkSilenced(b *testing.B) {
	src := &fakeLister{}
	for i := range 100 {
		s, err := New([]string{fmt.Sprintf(`alarm=~"svc-%d-.*"`, i), "env=prod"}, "ana", "x", t0, t0.Add(time.Hour), t0)
		if err != nil {
			b.Fatal(err)
		}
		s.ID = fmt.Sprint(i)
		src.list = append(src.list, s)
	}
	var ws []Window
	for i := range 10 {
		w, err := NewWindow(config.MaintenanceWindow{
			Name: fmt.Sprint("w", i), Matchers: []string{fmt.Sprintf("team=t%d", i)}, TimeZone: "Europe/London",
			Times: []config.WeeklyTime{{Days: []string{"mon-sun"}, Start: "00:00", End: "24:00"}},
		})
		if err != nil {
			b.Fatal(err)
		}
		ws = append(ws, w)
	}
	s := NewSilencer(ws, src, WithClock(func() time.Time { return t0 }))
	labels := map[string]string{"alarm": "web-5xx", "env": "prod", "team": "web"}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok, _ := s.Silenced(b.Context(), labels); ok {
			b.Fatal("silenced")
		}
	}
}
