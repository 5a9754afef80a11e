package render

import "testing"

func BenchmarkRenderSlack(b *testing.B) {
	opts := testOptions(b)
	for _, name := range []string{"metric_alarm", "cloudtrail_hostile"} {
		a := loadAlert(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Slack(a, opts)
			}
		})
	}
}

func BenchmarkRenderEmail(b *testing.B) {
	opts := testOptions(b)
	for _, name := range []string{"metric_alarm", "cloudtrail_hostile"} {
		a := loadAlert(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Email(a, opts)
			}
		})
	}
	a := loadAlert(b, "metric_alarm")
	b.Run("eml", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			EML("alerts@example.com", []string{"oncall@example.com"}, a, opts)
		}
	})
}

func BenchmarkRenderTeams(b *testing.B) {
	opts := testOptions(b)
	a := loadAlert(b, "metric_alarm")
	b.ReportAllocs()
	for b.Loop() {
		Teams(a, opts)
	}
}

func BenchmarkRenderText(b *testing.B) {
	opts := testOptions(b)
	a := loadAlert(b, "metric_alarm")
	b.ReportAllocs()
	for b.Loop() {
		Text(a, opts)
	}
}
