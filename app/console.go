package app

import "github.com/wardenhq/warden/web"

// sinkHealth is each sink's delivery cursor, for the console's overview.
func (a *App) sinkHealth() []web.SinkHealth {
	out := make([]web.SinkHealth, 0, len(a.sinks))
	for _, r := range a.sinks {
		out = append(out, web.SinkHealth{Name: r.Name(), Delivered: r.Delivered()})
	}
	return out
}
