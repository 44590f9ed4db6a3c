# Sourced by the bench scripts: `serve_ready BIN DB PORT LOG` starts
# `lvzhi serve` in the background (its pid in SERVER, killed on exit), waits
# until it answers /healthz, then until its search index is built (it warms
# up in the background after start: the benches measure the server as it
# runs, not while it warms up), and says how long each took.
serve_ready() {
    local bin=$1 db=$2 port=$3 log=$4 started
    LVZHI_LOG="warn,lvzhi::services::search=info" "$bin" serve --listen "127.0.0.1:$port" --database "$db" > "$log" 2>&1 &
    SERVER=$!
    trap 'kill $SERVER 2>/dev/null || true' EXIT
    started=$(date +%s%N)
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/healthz" > /dev/null 2>&1 && break
        sleep 0.2
    done
    echo "answering after $(( ($(date +%s%N) - started) / 1000000 )) ms"
    for _ in $(seq 1 600); do
        grep -q "search index built" "$log" && break
        sleep 0.2
    done
    echo "search ready after $(( ($(date +%s%N) - started) / 1000000 )) ms"
}
