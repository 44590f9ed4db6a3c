#!/usr/bin/env bash
# Duty points and plan status at province scale (issue 14): the time to recompute every
# member's points and the ranking of one year across the whole province,
# through HTTP (`GET /api/v1/points?org=<province>&year=…`), and for one
# district's tree. Nothing is cached: each request reads the records and
# the rules and scores every member.
#
#   scripts/points_bench.sh                      # SQLite, fresh province data
#   scripts/points_bench.sh --postgres URL       # PostgreSQL (an empty database)
#   scripts/points_bench.sh --postgres URL --reuse   # data already loaded there
#   scripts/points_bench.sh --sqlite FILE --reuse    # a SQLite file already loaded
# (with --reuse, set LVZHI_DATA_KEY_FILE to the key the data was loaded with)
set -euo pipefail

cd "$(dirname "$0")/.."
PG_URL=""
SQLITE=""
REUSE=""
YEAR=2024
RUNS=5
PORT=18081
while [ $# -gt 0 ]; do
    case "$1" in
        --postgres) PG_URL="$2"; shift 2 ;;
        --sqlite) SQLITE="$2"; shift 2 ;;
        --reuse) REUSE=1; shift ;;
        --year) YEAR="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done

# One feature set for the binary and the bench clients: built once. With
# LVZHI_RELEASE_DIR set, the binaries already built there are used as they are.
if [ -z "${LVZHI_RELEASE_DIR:-}" ]; then cargo build --release --bin lvzhi --examples; fi
BIN=${LVZHI_RELEASE_DIR:-${CARGO_TARGET_DIR:-target}/release}/lvzhi
WORK=$(mktemp -d /tmp/lvzhi-points.XXXXXX)
export LVZHI_DATA_KEY_FILE="${LVZHI_DATA_KEY_FILE:-$WORK/lvzhi.key}"
export LVZHI_ATTACHMENTS_DIR="$WORK/attachments"
if [ -n "$PG_URL" ]; then DB="$PG_URL"
elif [ -n "$SQLITE" ]; then DB="sqlite://$SQLITE"
else DB="sqlite://$WORK/lvzhi.db"; fi
echo "== engine: $([ -n "$PG_URL" ] && echo PostgreSQL || echo SQLite); data in $WORK"
if [ -z "$REUSE" ]; then
    "$BIN" demo --scale province --database "$DB" > "$WORK/load.txt"
fi

. scripts/serve-ready.sh
serve_ready "$BIN" "$DB" "$PORT" "$WORK/serve.log"

# measure USER LABEL PATH COUNT_FIELD: one warm-up, then RUNS timed requests.
measure() {
    local who=$1 label=$2 path=$3 field=$4
    local token
    token=$("$BIN" token create --username "$who" --name points-bench --database "$DB")
    local url="http://127.0.0.1:$PORT$path"
    local total
    total=$(curl -fs -H "Authorization: Bearer $token" "$url" | sed -n "s/.*\"$field\":\([0-9]*\).*/\1/p" | tail -n1)
    local times=()
    for _ in $(seq 1 "$RUNS"); do
        times+=("$(curl -fs -o /dev/null -w '%{time_total}' -H "Authorization: Bearer $token" "$url")")
    done
    printf '%s (%s %s): %s s\n' "$label" "$total" "$field" "$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')"
}

echo "== year $YEAR, $RUNS requests each (after one warm-up), seconds sorted"
POINTS="/api/v1/points?year=$YEAR&per_page=20"
measure staff-province "province ranking" "$POINTS" total
measure staff-c01-d01 "district ranking" "$POINTS" total
# The plan status of every rule and scope of a district (its own plan: the
# template copied to 2025; 330 members, 5 groups, the district), for the
# whole year and for its last quarter.
measure staff-c01-d01 "district plan status, 2025" "/api/v1/plan-status?period=2025" total
measure staff-c01-d01 "district plan status, 2025-Q4" "/api/v1/plan-status?period=2025-Q4" total
# pages USER PATH N CONCURRENCY: sign USER in through the login form, then
# N page requests, CONCURRENCY at a time; p50 and p99 in ms.
pages() {
    local who=$1 path=$2 n=$3 conc=$4
    local jar="$WORK/jar-$who"
    local csrf
    csrf=$(curl -fs -c "$jar" "http://127.0.0.1:$PORT/login" \
        | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n1)
    curl -fs -b "$jar" -c "$jar" -o /dev/null \
        --data-urlencode "username=$who" --data-urlencode "password=Lvzhi-Scale-2025" \
        --data-urlencode "csrf=$csrf" --data-urlencode "next=/" "http://127.0.0.1:$PORT/login"
    local code
    code=$(curl -s -o /dev/null -w '%{http_code}' -b "$jar" "http://127.0.0.1:$PORT$path")
    [ "$code" = 200 ] || { echo "$who $path answered $code: not measured" >&2; return; }
    seq 1 "$n" | xargs -P "$conc" -I{} curl -s -o /dev/null -w '%{time_total}\n' -b "$jar" \
        "http://127.0.0.1:$PORT$path" | sort -n | awk -v who="$who" -v path="$path" -v c="$conc" '
        { t[NR] = $1 * 1000 }
        END { p99 = int(NR * 0.99) + 1; if (p99 > NR) p99 = NR
              printf "%s %s, %d requests, %d at a time: p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
              who, path, NR, c, t[int(NR * 0.5) + 1], t[p99], t[NR] }'
}

echo "== first pages (the district's staff, a member)"
for conc in 1 8; do
    pages staff-c01-d01 / 200 "$conc"
    pages m1 / 200 "$conc"
done
echo "server peak memory: $(grep VmHWM /proc/$SERVER/status)"
