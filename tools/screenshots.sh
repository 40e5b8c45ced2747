#!/usr/bin/env bash
# make screenshots: copy the screenshots of the main screens, taken from the demo by the
# last `make test` (tests/test_interop_screenshots.py), into readme/images/.
set -euo pipefail
# shellcheck source=tools/interop-env.sh
source "$(dirname "$0")/interop-env.sh"

shots=$INTEROP_BUILD/screenshots
compgen -G "$shots/*.png" >/dev/null || die "no screenshots in $shots: run make test first"
mkdir -p "$INTEROP_ROOT/readme/images"
cp "$shots"/*.png "$INTEROP_ROOT/readme/images/"
log "copied $(find "$shots" -name '*.png' | wc -l) screenshots into readme/images ($(du -ch "$INTEROP_ROOT"/readme/images/*.png | tail -n 1 | cut -f1) in all)"
