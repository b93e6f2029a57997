#!/usr/bin/env bash
# PostgreSQL figures in one run: pgbench's one-row INSERT commits as the reference, the journal
# writer's durable appends/s on PostgreSQL (closed loop, and bursts of 1, 16 and 128), and HTTP
# pledges/s with `payorch serve --storage postgresql://...`; writes them as JSON.
#
# Usage: bench/storage/run_postgres.sh BUILD_DIR [--out FILE] [--duration S]
# Starts its own PostgreSQL 15 (initdb in a temporary directory, as the postgres user when run
# as root, on a free loopback port) and stops it when it exits, however it exits.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
build_dir=${1:?usage: run_postgres.sh BUILD_DIR [--out FILE] [--duration S]}
shift
out="$repo/bench/results/storage_postgres.json"
duration_s=5
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --duration) duration_s=$2; shift 2 ;;
    *) echo "run_postgres: unknown option $1" >&2; exit 2 ;;
  esac
done
bin=/usr/lib/postgresql/15/bin
for tool in "$bin/initdb" "$bin/pg_ctl" "$bin/pgbench" "$build_dir/bench/storage/payorch_bench_journal"; do
  [ -x "$tool" ] || { echo "run_postgres: missing $tool" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/payorch-pgbench.XXXXXX")
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres:postgres "$work"
  as_pg=(runuser -u postgres --)
fi
port=$((20000 + RANDOM % 10000))
cleanup() {
  "${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"${as_pg[@]}" "$bin/initdb" -D "$work/data" -U postgres -A trust -E UTF8 --locale=C >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/postgres.log" -w -o \
  "-p $port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c max_connections=100" \
  start >/dev/null
uri_of() { echo "postgresql://postgres@127.0.0.1:$port/$1"; }
psql_bin=$bin/psql
"$psql_bin" -q "$(uri_of postgres)" -c "CREATE DATABASE ref" -c "CREATE DATABASE journal" \
  -c "CREATE DATABASE payorch"
"$psql_bin" -q "$(uri_of ref)" -c "CREATE TABLE one_row (id bigserial PRIMARY KEY, v integer NOT NULL)"
printf 'INSERT INTO one_row (v) VALUES (1);\n' >"$work/one_row.sql"

pgbench_tps() {  # clients
  "$bin/pgbench" -n -c "$1" -j "$1" -T "$duration_s" -f "$work/one_row.sql" "$(uri_of ref)" 2>/dev/null |
    sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -n 1
}
echo "run_postgres: pgbench one-row INSERT commits, 1 and 16 clients" >&2
tps_1=$(pgbench_tps 1)
tps_16=$(pgbench_tps 16)

echo "run_postgres: journal writer on PostgreSQL" >&2
"$build_dir/bench/storage/payorch_bench_journal" --postgres "$(uri_of journal)" \
  --duration "$duration_s" --repeats 1 --out "$work/journal.json" >"$work/journal.log" 2>&1

echo "run_postgres: HTTP pledges on PostgreSQL" >&2
bash "$repo/bench/http/run.sh" "$build_dir" --duration "$duration_s" --warmup 2 \
  --storage "$(uri_of payorch)" --out "$work/http.json" >"$work/http.log" 2>&1 || true
# The first requests_per_s after the pledge target's name.
pledges=$(tr -d '\n' <"$work/http.json" | awk '{
  i = index($0, "\"name\": \"payorch_post_pledges\"")
  if (i == 0) exit
  rest = substr($0, i)
  j = index(rest, "\"requests_per_s\": ")
  if (j == 0) exit
  rest = substr(rest, j + 18)
  match(rest, /^[0-9.]+/)
  if (RLENGTH > 0) print substr(rest, 1, RLENGTH)
}')
ratio=$(awk -v a="${pledges:-0}" -v b="${tps_1:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "null" }')

mkdir -p "$(dirname "$out")"
{
  printf '{\n  "date": "%s",\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "pgbench_one_row_commits_per_s": {"clients_1": %s, "clients_16": %s},\n' \
    "${tps_1:-null}" "${tps_16:-null}"
  printf '  "http_pledges_per_s": %s,\n' "${pledges:-null}"
  printf '  "pledges_to_pgbench_1_client": %s,\n' "$ratio"
  printf '  "aim_ratio": 5,\n'
  printf '  "journal": '
  cat "$work/journal.json"
  printf ',\n  "http": '
  cat "$work/http.json"
  printf '}\n'
} >"$out"
printf 'pgbench 1 client: %s commits/s; 16 clients: %s\nHTTP pledges on PostgreSQL: %s/s (%s x pgbench 1 client; aim 5)\nwritten: %s\n' \
  "$tps_1" "$tps_16" "${pledges:-?}" "$ratio" "$out"
