#!/usr/bin/env bash
# Fuzz the JSON API from its own OpenAPI document with schemathesis, and call
# it through a client generated from that document, against
# `lvzhi serve --demo` on a free port, for a bounded time (SCHEMATHESIS_SECONDS,
# default 200, split over the roles' operations). Fails when a check fails:
# not_a_server_error, status_code_conformance, content_type_conformance,
# response_schema_conformance, negative_data_rejection.
#
#   scripts/schemathesis.sh [path/to/lvzhi]     (default: target/debug/lvzhi, built if absent)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${SCHEMATHESIS_SECONDS:-200}"
version="4.32.5"
target="${CARGO_TARGET_DIR:-target}"
bin="${1:-$target/debug/lvzhi}"
[ -x "$bin" ] || cargo build --quiet
venv="$target/schemathesis-venv"
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv" 2>/dev/null || {
    # Debian's own python3 keeps venv in a package of its own.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv "$venv"
  }
  "$venv/bin/pip" install --quiet "schemathesis==$version"
fi

work="$(mktemp -d)"
reports="$target/schemathesis"
mkdir -p "$reports"
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export LVZHI_DATABASE_URL="sqlite://$work/lvzhi.db"
export LVZHI_DATA_KEY_FILE="$work/lvzhi.key"
export LVZHI_ATTACHMENTS_DIR="$work/attachments"
export LVZHI_LOG=warn
# API tokens of every role are used: none is asked for a second factor here
# (the second factor is the pages' sign-in, tested in tests/it/totp.rs).
export LVZHI_TOTP_REQUIRED_ROLES='[]'
"$bin" serve --demo --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
server=$!
base=""
for _ in $(seq 1 120); do
  base="$(sed -n 's#^lvzhi: \(http://[^ ]*\)/$#\1#p' "$work/serve.log" | head -n1)"
  [ -n "$base" ] && curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  base=""
  sleep 0.5
done
if [ -z "$base" ]; then
  echo "schemathesis: the server did not start" >&2
  cat "$work/serve.log" >&2
  exit 1
fi
token() { "$bin" token create --username "$1" | tail -n1; }

checks="not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,negative_data_rejection"
status=0
# role, share of the time (percent), which operations
run() {
  local role="$1" share="$2"
  shift 2
  local budget=$(( seconds * share / 100 ))
  [ "$budget" -ge 5 ] || budget=5
  echo "== schemathesis as $role, ${budget}s"
  # One worker: with several, hypothesis reads its lambdas' source from
  # threads and CPython 3.11's parser fails now and then (a tool error).
  "$venv/bin/schemathesis" run "$base/api/v1/openapi.json" \
    -H "Authorization: Bearer $(token "$role")" \
    --checks "$checks" --max-time "$budget" --workers 1 \
    --seed "${SCHEMATHESIS_SEED:-2012}" --no-color "$@" \
    >"$reports/$role.txt" 2>&1 || { status=1; failed=1; }
  # The closing lines: failures, errors, test cases and the summary line;
  # what failed, shortened (the whole report stays in $reports).
  sed -n '/^=* SUMMARY =*$/,$p' "$reports/$role.txt" || true
  if [ "${failed:-0}" -ne 0 ]; then
    sed -n '/^=* \(FAILURES\|ERRORS\) =*$/,/^=* \(WARNINGS\|SUMMARY\) =*$/p' "$reports/$role.txt" \
      | cut -c1-300 | head -n 120 || true
  fi
  failed=0
}
run staff 64 --exclude-path-regex '^/api/v1/(users|audit)|/reply$|/cosign$'
run admin 9 --include-path-regex '^/api/v1/users'
run security 9 --include-path-regex '^/api/v1/users'
run auditor 8 --include-path-regex '^/api/v1/audit'
run member 10 --include-path-regex '/reply$|/cosign$|^/api/v1/(info-reports|proposals)$'

# A client generated from the same document (openapi-python-client from
# PyPI) calls three operations: the document is usable by a generator as it
# is published, query parameters and error answers included.
echo "== a generated client"
client_version="0.29.1"
if ! "$venv/bin/openapi-python-client" --version 2>/dev/null | grep -q "$client_version"; then
  "$venv/bin/pip" install --quiet "openapi-python-client==$client_version"
fi
printf 'package_name_override: lvzhi_client\nproject_name_override: lvzhi-client\n' >"$work/client.yml"
curl -fsS "$base/api/v1/openapi.json" -o "$work/openapi.json"
"$venv/bin/openapi-python-client" generate --path "$work/openapi.json" --meta none \
    --config "$work/client.yml" --output-path "$work/lvzhi_client" >"$reports/client.txt" 2>&1 \
  || { echo "the client generator failed:"; tail -n 20 "$reports/client.txt"; status=1; }
PYTHONPATH="$work" "$venv/bin/python" scripts/generated_client.py "$base" "$(token staff)" \
  || status=1
exit "$status"
