package web

import "time"

// SetLiveIntervals shortens the live streams' keep-alive and session
// check for a test; the returned func restores them.
func SetLiveIntervals(keepAlive, recheck time.Duration) func() {
	k, r := liveKeepAlive.Load(), liveRecheck.Load()
	liveKeepAlive.Store(int64(keepAlive))
	liveRecheck.Store(int64(recheck))
	return func() { liveKeepAlive.Store(k); liveRecheck.Store(r) }
}
