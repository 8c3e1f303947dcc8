#!/usr/bin/env bash
# Benchmarks `warden scan secrets` against gitleaks, in the same run on
# the same trees:
#   - speed: files per second over a large generated tree of source-like
#     text (FILES files, about MB megabytes), best wall time of 3 runs each,
#     runs interleaved so that both see the same machine;
#   - recall: a seeded tree of fake keys of many kinds (gitleaks rule
#     families and Warden wdn_ tokens), scored against its manifest.
# gitleaks is installed from the Go module proxy into a temporary GOBIN.
# Usage: bench/secrets/run.sh   (FILES=20000 MB=200 KEEP=1 to keep the trees)
set -euo pipefail
cd "$(dirname "$0")/../.."
FILES=${FILES:-20000}
MB=${MB:-200}
GITLEAKS_VERSION=v8.30.1

work=$(mktemp -d)
if [ -z "${KEEP:-}" ]; then
  trap 'rm -rf "$work"' EXIT
else
  echo "keeping $work"
fi
bin="$work/bin"
mkdir -p "$bin"

echo "== building warden, the generator, and gitleaks $GITLEAKS_VERSION"
go build -o "$bin/warden" ./cmd/warden
go build -o "$bin/gen" ./bench/secrets/gen
# Outside this module, so that its go.mod is not touched.
(cd "$work" && GOBIN="$bin" GOFLAGS=-mod=mod go install "github.com/zricethezav/gitleaks/v8@$GITLEAKS_VERSION")

echo "== generating the trees"
"$bin/gen" tree -out "$work/big" -files "$FILES" -mb "$MB"
"$bin/gen" seeded -out "$work/seeded" -manifest "$work/manifest.json"
files=$(find "$work/big" -type f | wc -l)
bytes=$(find "$work/big" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')
echo "large tree: $files files, $((bytes / 1000000)) MB"

# Exit 1 means "found something" for both tools; only 2 and up are errors.
run_gitleaks() { # DIR REPORT
  "$bin/gitleaks" dir --no-banner --log-level error --report-format json --report-path "$2" --exit-code 0 "$1"
}
run_warden() { # DIR REPORT
  "$bin/warden" scan secrets --format json "$1" >"$2" || [ $? -eq 1 ]
}
now() { date +%s.%N; }
calc() { awk "BEGIN { print $1 }"; }

best_gl=999999
best_wd=999999
for i in 1 2 3; do
  t0=$(now); run_gitleaks "$work/big" "$work/gl-big.json"; t1=$(now)
  run_warden "$work/big" "$work/wd-big.json" 2>/dev/null; t2=$(now)
  gl=$(calc "$t1 - $t0"); wd=$(calc "$t2 - $t1")
  printf 'round %d: gitleaks %.2f s, warden %.2f s\n' "$i" "$gl" "$wd"
  best_gl=$(calc "($gl < $best_gl) ? $gl : $best_gl")
  best_wd=$(calc "($wd < $best_wd) ? $wd : $best_wd")
done
gl_fps=$(calc "$files / $best_gl")
wd_fps=$(calc "$files / $best_wd")
printf 'gitleaks: %.0f files/s (best %.2f s)\n' "$gl_fps" "$best_gl"
printf 'warden:   %.0f files/s (best %.2f s)\n' "$wd_fps" "$best_wd"
printf 'ratio warden/gitleaks: %.1fx (goal >= 2x)\n' "$(calc "$wd_fps / $gl_fps")"
printf 'findings on the large tree: gitleaks %s, warden %s\n' \
  "$(grep -c '"RuleID"' "$work/gl-big.json" || true)" "$(grep -c '"ruleId"' "$work/wd-big.json" || true)"

echo "== recall on the seeded tree"
run_gitleaks "$work/seeded" "$work/gl-seeded.json"
run_warden "$work/seeded" "$work/wd-seeded.json" 2>/dev/null
"$bin/gen" score -manifest "$work/manifest.json" -gitleaks "$work/gl-seeded.json" -warden "$work/wd-seeded.json"
