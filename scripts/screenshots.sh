#!/usr/bin/env bash
# Takes the README's screenshots: runs Lunas under Xvfb with the demo shop
# (sandbox gateway, simulated buyers), lets payments settle and transfers
# complete for a while, then the app shows each main screen in turn
# (LUNAS_TOUR=1 prints "tour FILE" when a screen is ready) and ImageMagick's
# import saves it to docs/screenshots/FILE. Then the app quits.
#
# Needs Xvfb, ImageMagick and a C compiler (for the GUI build). Usage:
#   scripts/screenshots.sh [wait]      # wait: e.g. 40s of demo activity first (default 40s)
#   LUNAS_LANG=en scripts/screenshots.sh   # English screens (default: Indonesian)
# Screens are taken at 1366x768 into docs/screenshots/id or docs/screenshots/en;
# ui.TestNoCutOffLabels checks the same screens for cut-off text.
set -euo pipefail
cd "$(dirname "$0")/.."

wait="${1:-40s}"
lang="${LUNAS_LANG:-id}"
out="docs/screenshots/$lang"
mkdir -p "$out"
tmp="$(mktemp -d)"
xvfb_pid=""
cleanup() {
  if [ -n "$xvfb_pid" ]; then kill "$xvfb_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

go build -tags migrated_fynedo -o "$tmp/lunas" .

# A private display, sized like the window.
disp="${LUNAS_DISPLAY:-:$((90 + RANDOM % 9))}"
Xvfb "$disp" -screen 0 1366x768x24 -nolisten tcp >/dev/null 2>&1 &
xvfb_pid=$!
sleep 1

case "$lang" in
  id) locale="id_ID.UTF-8" ;;
  *) locale="en_US.UTF-8" ;;
esac

# --demo: the demo shop starts at once (the welcome page's one click).
DISPLAY="$disp" LANG="$locale" LANGUAGE="$lang" FYNE_THEME=light XDG_CONFIG_HOME="$tmp/config" \
  LUNAS_TOUR=1 LUNAS_TOUR_WAIT="$wait" \
  "$tmp/lunas" --db "$tmp/own.db" gui --demo 2> "$tmp/log" |
  while read -r word file; do
    if [ "$word" = "tour" ]; then
      import -display "$disp" -window root "$out/$file"
      echo "captured $out/$file"
    fi
  done
if [ "${PIPESTATUS[0]}" != 0 ]; then cat "$tmp/log" >&2; exit 1; fi

ls -l "$out"/*.png
