#!/usr/bin/env bash
# Start-up on the province data (issue 16): how long `lvzhi serve` takes to
# answer /healthz and then to answer a search (503 `search_warming_up` until
# its index is ready), the CPU it spent by then, and its resident memory at
# that moment, at rest five seconds later and at its peak. Each run starts
# the server afresh on the same data, the way an operator restarts it.
#
#   scripts/startup_bench.sh --sqlite FILE [--runs 5] [--mode snapshot|build]
#   scripts/startup_bench.sh --postgres URL [--runs 5] [--mode snapshot|build]
#
# The data must be loaded already (`lvzhi demo --scale province`), with
# LVZHI_DATA_KEY_FILE set to its key. --mode build deletes the index
# snapshot kept in the database before each run (the index is then built
# from the records, and written as the next snapshot); snapshot (the
# default) starts from it (the first run writes it if there is none).
set -euo pipefail

cd "$(dirname "$0")/.."
PG_URL=""
SQLITE=""
RUNS=5
MODE=snapshot
PORT=18083
while [ $# -gt 0 ]; do
    case "$1" in
        --postgres) PG_URL="$2"; shift 2 ;;
        --sqlite) SQLITE="$2"; shift 2 ;;
        --runs) RUNS="$2"; shift 2 ;;
        --mode) MODE="$2"; shift 2 ;;
        --port) PORT="$2"; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
if [ -z "$PG_URL" ] && [ -z "$SQLITE" ]; then
    echo "--sqlite FILE or --postgres URL (with the province data loaded)" >&2
    exit 2
fi
if [ -z "${LVZHI_RELEASE_DIR:-}" ]; then cargo build --release --bin lvzhi; fi
BIN=${LVZHI_RELEASE_DIR:-${CARGO_TARGET_DIR:-target}/release}/lvzhi
WORK=$(mktemp -d /tmp/lvzhi-startup.XXXXXX)
if [ -n "$PG_URL" ]; then DB="$PG_URL"; else DB="sqlite://$SQLITE"; fi

forget_snapshot() {
    if [ -n "$PG_URL" ]; then
        psql -q "$PG_URL" -c "DELETE FROM search_snapshots"
    else
        python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('DELETE FROM search_snapshots'); c.commit()" "$SQLITE"
    fi
}

TOKEN=$("$BIN" token create --username staff-province --name startup-bench --database "$DB")
TICK=$(getconf CLK_TCK)
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
kb() { awk -v f="$1:" '$1 == f { print int($2 / 1024) }' "/proc/$2/status"; }

echo "== engine: $([ -n "$PG_URL" ] && echo PostgreSQL || echo SQLite), mode: $MODE, $RUNS runs"
printf '%-4s %-9s %10s %10s %12s %8s %9s %9s %9s\n' run how healthz_ms start_MB search_ms cpu_s ready_MB rest_MB peak_MB
for run in $(seq 1 "$RUNS"); do
    [ "$MODE" = build ] && forget_snapshot
    LOG="$WORK/serve-$run.log"
    LVZHI_LOG="warn,lvzhi::services::search=info" "$BIN" serve --listen "127.0.0.1:$PORT" --database "$DB" > "$LOG" 2>&1 &
    SERVER=$!
    trap 'kill $SERVER 2>/dev/null || true' EXIT
    started=$(now_ms)
    until curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; do sleep 0.01; done
    healthz=$(( $(now_ms) - started ))
    first=$(kb VmRSS "$SERVER")
    until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        "http://127.0.0.1:$PORT/api/v1/search?q=%E5%9F%8E%E4%B8%AD%E6%9D%91")" = 200 ]; do sleep 0.02; done
    ready=$(( $(now_ms) - started ))
    read -r utime stime < <(awk '{ print $14, $15 }' "/proc/$SERVER/stat")
    cpu=$(awk -v t=$(( utime + stime )) -v hz="$TICK" 'BEGIN { printf "%.1f", t / hz }')
    rss=$(kb VmRSS "$SERVER")
    # At rest: the snapshot written after a build, and anything else the
    # start set going, done.
    sleep 5
    if grep -q "search index snapshot written" "$LOG"; then :; elif [ "$MODE" = build ]; then sleep 10; fi
    rest=$(kb VmRSS "$SERVER")
    peak=$(kb VmHWM "$SERVER")
    how=$(grep -q "built from its snapshot" "$LOG" && echo snapshot || echo built)
    printf '%-4s %-9s %10s %10s %12s %8s %9s %9s %9s\n' "$run" "$how" "$healthz" "$first" "$ready" "$cpu" "$rss" "$rest" "$peak"
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null || true
done
echo "(logs in $WORK)"
