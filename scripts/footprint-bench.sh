#!/usr/bin/env bash
# Footprint benchmark (issue 13): CPU and memory of the desktop against the
# headless demo, same binary, same minutes. Under Xvfb with software GL it
# starts, side by side and at the same time:
#   headless   lunas demo (a buyer every 3 s, like the desktop's demo)
#   desktop    lunas gui --demo (the same demo shop, dashboard on screen)
#   paused     lunas gui --demo with automatic transfers paused
#   welcome    lunas gui on a new database (the welcome page, idle)
#   floor      bench/fynefloor: the smallest Fyne window (a label, a button),
#              same Fyne and driver: what any Fyne window costs here, idle
# waits for them to settle, then measures for DURATION (default 5m): CPU as
# % of one core (utime+stime from /proc over wall time) and peak RSS
# (VmHWM). Then start to usable window, warm (scripts/startup-bench.sh).
# Usage: scripts/footprint-bench.sh [DURATION] [DISPLAY]   e.g. 5m :12
# Record the machine's load (uptime is printed) with the figures.
set -euo pipefail
cd "$(dirname "$0")/.."
dur="${1:-5m}"
disp="${2:-:$((70 + RANDOM % 9))}"
secs=$(( $(echo "$dur" | sed 's/m$/*60/; s/s$//') ))
tmp="$(mktemp -d)"
pids=()
xvfb_pid=""
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
go build -tags migrated_fynedo -o "$tmp/lunas" .
go build -tags migrated_fynedo -o "$tmp/fynefloor" ./bench/fynefloor
Xvfb "$disp" -screen 0 1366x768x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
sleep 1
export DISPLAY="$disp" LIBGL_ALWAYS_SOFTWARE=1 LANG=en_US.UTF-8 XDG_CONFIG_HOME="$tmp/config"
unset DBUS_SESSION_BUS_ADDRESS # no tray host: closing would hide, not quit

"$tmp/lunas" --db "$tmp/headless.db" demo --duration 0 --every 3s >"$tmp/headless.log" 2>&1 &
pids+=($!); headless=$!
"$tmp/lunas" --db "$tmp/desktop.db" gui --demo >"$tmp/desktop.log" 2>&1 &
pids+=($!); desktop=$!
LUNAS_DEMO_PAUSED=1 "$tmp/lunas" --db "$tmp/paused.db" gui --demo >"$tmp/paused.log" 2>&1 &
pids+=($!); paused=$!
"$tmp/lunas" --db "$tmp/welcome.db" gui >"$tmp/welcome.log" 2>&1 &
pids+=($!); welcome=$!
"$tmp/fynefloor" >"$tmp/floor.log" 2>&1 &
pids+=($!); floor=$!

tck=$(getconf CLK_TCK)
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sleep 30 # the demos start, the first buyers pay
declare -A t0
for n in headless desktop paused welcome floor; do t0[$n]=$(ticks "${!n}"); done
s0=$(date +%s.%N)
echo "measuring for $dur ($secs s) on $disp; load before: $(uptime | sed 's/.*load average: //')"
sleep "$secs"
s1=$(date +%s.%N)
echo "load after: $(uptime | sed 's/.*load average: //')"
printf '%-10s %12s %14s\n' "process" "CPU % core" "peak RSS MB"
for n in headless desktop paused welcome floor; do
  pid=${!n}
  if ! kill -0 "$pid" 2>/dev/null; then echo "$n exited early:"; tail -5 "$tmp/$n.log"; exit 1; fi
  t1=$(ticks "$pid")
  hwm=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  awk -v a="${t0[$n]}" -v b="$t1" -v t="$tck" -v s0="$s0" -v s1="$s1" -v h="$hwm" -v n="$n" \
    'BEGIN { printf "%-10s %12.1f %14.0f\n", n, (b-a)/t/(s1-s0)*100, h/1024 }'
done
grep -c "settled" "$tmp/headless.log" | sed 's/^/headless demo: payments settled /'
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
pids=()
kill "$xvfb_pid" 2>/dev/null || true
xvfb_pid=""
echo "start to usable window (warm):"
scripts/startup-bench.sh 5
