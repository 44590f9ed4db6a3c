#!/usr/bin/env bash
# Excel exports at province scale (issue 15): every member of the province
# (31,680) and a year of activities with their attendance (one row per
# invitation) to .xlsx through HTTP, as `staff-province`, with the list's own
# path and `format=xlsx` (each export reads every matching row, writes the
# workbook in memory and its audit row).
#
#   scripts/export_bench.sh                      # SQLite, fresh province data
#   scripts/export_bench.sh --postgres URL       # PostgreSQL (an empty database)
#   scripts/export_bench.sh --postgres URL --reuse   # data already loaded there
#   scripts/export_bench.sh --sqlite FILE --reuse    # a SQLite file already loaded
set -euo pipefail

cd "$(dirname "$0")/.."
PG_URL=""
SQLITE=""
REUSE=""
YEAR=2024
RUNS=3
PORT=18082
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

TARGET=${CARGO_TARGET_DIR:-target}
# One feature set for the binary and the bench clients: built once. With
# LVZHI_RELEASE_DIR set, the binaries already built there are used as they are.
if [ -z "${LVZHI_RELEASE_DIR:-}" ]; then cargo build --release --bin lvzhi --examples; fi
BIN=${LVZHI_RELEASE_DIR:-$TARGET/release}/lvzhi
WORK=$(mktemp -d /tmp/lvzhi-export.XXXXXX)
export LVZHI_DATA_KEY_FILE="${LVZHI_DATA_KEY_FILE:-$WORK/lvzhi.key}"
export LVZHI_ATTACHMENTS_DIR="$WORK/attachments"
if [ -n "$PG_URL" ]; then DB="$PG_URL"
elif [ -n "$SQLITE" ]; then DB="sqlite://$SQLITE"
else DB="sqlite://$WORK/lvzhi.db"; fi
echo "== engine: $([ -n "$PG_URL" ] && echo PostgreSQL || echo SQLite); data: $DB"
if [ -z "$REUSE" ]; then
    /usr/bin/time -f "province load: %e s" "$BIN" demo --scale province --database "$DB" > "$WORK/load.txt"
fi

LVZHI_LOG=warn "$BIN" serve --listen "127.0.0.1:$PORT" --database "$DB" > "$WORK/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$PORT/healthz" > /dev/null 2>&1 && break
    sleep 0.2
done
TOKEN=$("$BIN" token create --username staff-province --name export-bench --database "$DB")

measure() {
    local label=$1 path=$2
    local url="http://127.0.0.1:$PORT$path"
    local rows
    rows=$(curl -fs -o /dev/null -D - -H "Authorization: Bearer $TOKEN" "$url" | tr -d '\r' | sed -n 's/^x-row-count: //p')
    local times=() size=""
    for _ in $(seq 1 "$RUNS"); do
        local out
        out=$(curl -fs -o "$WORK/out.xlsx" -w '%{time_total} %{size_download}' -H "Authorization: Bearer $TOKEN" "$url")
        times+=("${out% *}")
        size=${out#* }
    done
    printf '| %s | %s | %s MB | %s |\n' "$label" "$rows" "$(echo "scale=1; $size/1048576" | bc)" \
        "$(printf '%s\n' "${times[@]}" | sort -n | tr '\n' ' ')"
}

echo "== $RUNS requests each after one warm-up, seconds sorted"
echo "| export | rows | size | seconds |"
echo "|---|---|---|---|"
measure "members (the province)" "/api/v1/members?format=xlsx"
measure "activities with attendance, $YEAR" "/api/v1/activities?format=xlsx&from=$YEAR-01-01&to=$YEAR-12-31"
echo "server peak memory: $(grep VmHWM /proc/$SERVER/status)"
