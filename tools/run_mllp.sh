#!/usr/bin/env bash
# make mllp: the MLLP bridge of interop_standards, for HL7 senders that cannot speak HTTP.
# INTEROP_ENDPOINT and INTEROP_API_KEY (and INTEROP_SECRET when the endpoint requires a
# signature) name the sender; INTEROP_URL (http://localhost:$PORT), MLLP_HOST, MLLP_PORT.
set -euo pipefail
# shellcheck source=tools/interop-env.sh
source "$(dirname "$0")/interop-env.sh"

interop_bootstrap "${PORT:-8069}"
export INTEROP_URL=${INTEROP_URL:-http://localhost:${PORT:-8069}}
exec python "$INTEROP_ROOT/addons/interop_standards/mllp.py"
