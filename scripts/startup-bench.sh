#!/usr/bin/env bash
# Measures application start to a usable window: the binary is started under
# Xvfb N times (first against a new database, then against the existing one)
# and reports the time from the shell's fork to the first trip through the
# UI goroutine after the window is shown (LUNAS_STARTUP_REPORT=1), then quits.
# Usage: scripts/startup-bench.sh [runs]   (default 10)
# LUNAS_BENCH_DB=FILE starts against that database instead (e.g. the one
# million transfers kept by: go test -tags migrated_fynedo -run XXX
# -bench BenchmarkGUIOpen ./app -args -gui.db=FILE); the full integrity check
# then runs after the window is up, as it does for the shop.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-10}"
tmp="$(mktemp -d)"
xvfb_pid=""
cleanup() {
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -tags migrated_fynedo -o "$tmp/lunas" .
disp=":$((80 + RANDOM % 9))"
Xvfb "$disp" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
sleep 1
for i in $(seq 1 "$runs"); do
  start=$(date +%s%N)
  DISPLAY="$disp" LUNAS_STARTUP_REPORT=1 LUNAS_EXIT_AFTER_START=1 "$tmp/lunas" --db "${LUNAS_BENCH_DB:-$tmp/lunas.db}" 2>&1 |
    grep -m1 "usable window" >/dev/null || true # lunas may get SIGPIPE after the line: not a failed run
  end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
done | sort -n | awk '{a[NR]=$1} END {printf "runs %d  min %d ms  median %d ms  max %d ms\n", NR, a[1], a[int((NR+1)/2)], a[NR]}'
