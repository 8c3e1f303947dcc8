// Package crashtest holds process-level robustness tests for Warden. They
// build the real warden binary, run `warden serve` as a separate process on
// a fresh data folder, and check two promises from the outside:
//
//   - crash safety: an upload that was acknowledged survives kill -9 of the
//     server at any moment, an upload killed midway leaves the previous
//     version intact, nothing is left half-written (no garbage versions, no
//     integrity errors, no files left in blobs/tmp after a restart), and the
//     audit chain still verifies after the crashes;
//   - streaming: a large upload and its download go through the server
//     without being held in memory, measured as the server process's peak
//     resident set (VmHWM).
//
// The package has no code of its own; everything is in its _test.go files,
// which need Linux (/proc, SIGKILL, parent-death signals).
package crashtest
