package config

import (
	"errors"

	"github.com/watchkeeper/watchkeeper/shared/silence/weekly"
)

// maintenanceWindows checks notifications.maintenance_windows: unique names,
// at least one valid matcher (a window without one would silence every
// alert), a known time zone and well-formed weekly times.
func (v *validator) maintenanceWindows(p string, ws []MaintenanceWindow) {
	names := newUniq("maintenance window")
	for i := range ws {
		w := &ws[i]
		wp := indexPath(p, i)
		if v.required(wp+".name", w.Name) {
			names.check(v, wp+".name", w.Name)
		}
		if len(w.Matchers) == 0 {
			v.errf(wp+".matchers", "at least one matcher is required (a window without matchers would silence every alert)")
		}
		v.matchers(wp+".matchers", w.Matchers)
		v.timeZone(wp+".time_zone", w.TimeZone)
		if len(w.Times) == 0 {
			v.errf(wp+".times", "at least one weekly time range is required (days, start, end)")
		}
		for j, t := range w.Times {
			tp := indexPath(wp+".times", j)
			if _, err := weekly.Parse(t.Days, t.Start, t.End); err != nil {
				var fe *weekly.FieldError
				if errors.As(err, &fe) {
					v.errf(tp+"."+fe.Field, "%v", fe.Err)
				} else {
					v.errf(tp, "%v", err)
				}
			}
		}
	}
}
