package dlp

import "slices"

// Only returns an engine that runs just the recognizers of the given
// types, sharing this engine's compiled state. Output filtering uses it:
// it looks for four types in every streamed piece, not twelve.
func (e *Engine) Only(types ...Type) *Engine {
	sub := *e
	sub.recognizers = nil
	for _, r := range e.recognizers {
		if slices.Contains(types, r.typ) {
			sub.recognizers = append(sub.recognizers, r)
		}
	}
	return &sub
}
