#!/usr/bin/env bash
# Load test: generated province data, a real server, many users at once.
#
#   scripts/loadtest.sh [--postgres URL [--reuse]] [--scale province] [--seconds 60] [--connections 32] [--only KIND] [--wrk SECONDS]
#
# Builds the release binary and the load client (examples/load.rs), loads the
# generated data (`lvzhi demo --scale`) into a fresh SQLite file — or, with
# --postgres, into the EMPTY PostgreSQL database at URL (create it first:
# `createdb -h 127.0.0.1 -U postgres lvzhi_scale`) — timing the load, starts
# `lvzhi serve`, signs a district's staff and a member in (session cookies)
# and makes an API token for the staff, then runs the mix of page reads, API
# reads and writes for a bounded time. With --reuse the PostgreSQL database
# is taken as a previous run left it (loaded, plus that run's writes): for
# trying one change after another without reloading. It prints p50/p99 per kind of request,
# the non-2xx count, the lost-write check, and the server's peak memory
# (VmHWM). Exits non-zero on any failed request or lost write.
#
# It installs nothing. The client is Rust (reqwest, a dev-dependency), so
# that latencies are reported per kind of request and writes are checked
# afterwards. With --only KIND (write_case, page_members, … as the client
# names them) only that kind of request is sent. With --wrk SECONDS, after the mix, wrk (Debian's package:
# `apt-get install -y wrk`) cross-checks two pages on their own, each for
# SECONDS at the same number of connections, signed in as the same staff
# user: the member list and a case (its latency distribution, --latency).
set -euo pipefail

cd "$(dirname "$0")/.."
PG_URL=""
SCALE=province
SECONDS_RUN=60
CONNECTIONS=32
PORT=18080
REUSE=""
WRK_SECONDS=""
ONLY=()
while [ $# -gt 0 ]; do
    case "$1" in
        --postgres) PG_URL="$2"; shift 2 ;;
        --reuse) REUSE=1; shift ;;
        --scale) SCALE="$2"; shift 2 ;;
        --seconds) SECONDS_RUN="$2"; shift 2 ;;
        --connections) CONNECTIONS="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        --wrk) WRK_SECONDS="$2"; shift 2 ;;
        --only) ONLY=(--only "$2"); shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

# One feature set for the binary and the bench clients: built once. With
# LVZHI_RELEASE_DIR set, the binaries already built there are used as they are.
if [ -z "${LVZHI_RELEASE_DIR:-}" ]; then cargo build --release --bin lvzhi --examples; fi
BIN=${LVZHI_RELEASE_DIR:-${CARGO_TARGET_DIR:-target}/release}/lvzhi
LOAD=${LVZHI_RELEASE_DIR:-${CARGO_TARGET_DIR:-target}/release}/examples/load

WORK=$(mktemp -d /tmp/lvzhi-load.XXXXXX)
export LVZHI_DATA_KEY_FILE="${LVZHI_DATA_KEY_FILE:-$WORK/lvzhi.key}"
export LVZHI_ATTACHMENTS_DIR="$WORK/attachments"
if [ -n "$PG_URL" ]; then
    DB="$PG_URL"
else
    DB="sqlite://$WORK/lvzhi.db"
fi
echo "== engine: $([ -n "$PG_URL" ] && echo PostgreSQL || echo SQLite); data in $WORK"

if [ -n "$REUSE" ] && [ -n "$PG_URL" ]; then
    echo "== reusing the data already in $PG_URL"
else
    echo "== load: lvzhi demo --scale $SCALE"
    START=$(date +%s%N)
    "$BIN" demo --scale "$SCALE" --database "$DB" | tee "$WORK/load.txt"
    END=$(date +%s%N)
    echo "load wall time: $(( (END - START) / 1000000 )) ms"
fi

echo "== serve on 127.0.0.1:$PORT"
. scripts/serve-ready.sh
serve_ready "$BIN" "$DB" "$PORT" "$WORK/serve.log"
echo "server pid $SERVER, memory after start: $(grep VmRSS /proc/$SERVER/status)"

STAFF=staff-c01-d01
TOKEN=$("$BIN" token create --username "$STAFF" --name loadtest --database "$DB")

echo "== $CONNECTIONS connections for $SECONDS_RUN s"
set +e
"$LOAD" --url "http://127.0.0.1:$PORT" --token "$TOKEN" --staff "$STAFF" --member m1 \
    --connections "$CONNECTIONS" --seconds "$SECONDS_RUN" "${ONLY[@]}"
STATUS=$?
set -e

echo "server peak memory: $(grep VmHWM /proc/$SERVER/status)"

if [ -n "$WRK_SECONDS" ]; then
    if ! command -v wrk > /dev/null; then
        echo "wrk is not installed (apt-get install -y wrk): cross-check skipped" >&2
    else
        # Sign the staff user in as a browser does: the login form's CSRF
        # token, then the session cookie from the answer.
        JAR="$WORK/cookies.txt"
        CSRF=$(curl -fs -c "$JAR" "http://127.0.0.1:$PORT/login" \
            | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1)
        curl -fs -b "$JAR" -c "$JAR" -o /dev/null \
            --data-urlencode "username=$STAFF" --data-urlencode "password=Lvzhi-Scale-2025" \
            --data-urlencode "csrf=$CSRF" --data-urlencode "next=/" "http://127.0.0.1:$PORT/login"
        COOKIE=$(awk '$6 ~ /session/ { print $6 "=" $7 }' "$JAR" | tail -n1)
        CASE_ID=$(curl -fs -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT/api/v1/cases?per_page=1" \
            | sed -n 's/.*"id":\([0-9]*\).*/\1/p' | head -n1)
        for path in /members "/cases/$CASE_ID"; do
            # A cookie that did not sign in would measure the login redirect.
            CODE=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT$path")
            if [ "$CODE" != 200 ]; then
                echo "wrk: $path answered $CODE to the signed-in staff user: not measured" >&2
                STATUS=1
                continue
            fi
            echo "== wrk: $path, $CONNECTIONS connections for $WRK_SECONDS s"
            wrk -t2 -c"$CONNECTIONS" -d"${WRK_SECONDS}s" --latency -H "Cookie: $COOKIE" \
                "http://127.0.0.1:$PORT$path"
        done
        echo "server peak memory, with the wrk runs: $(grep VmHWM /proc/$SERVER/status)"
    fi
fi
kill $SERVER
wait $SERVER 2>/dev/null || true
trap - EXIT
if [ -z "$PG_URL" ]; then
    rm -rf "$WORK"
fi
exit $STATUS
