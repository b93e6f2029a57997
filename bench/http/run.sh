#!/usr/bin/env bash
# Measures payorch's HTTP throughput against a minimal Beast server with wrk and writes the
# figures as JSON (see bench/README.md for what each one means).
#
# Usage: bench/http/run.sh BUILD_DIR [--duration S] [--connections N] [--warmup S]
#                          [--pods N] [--out FILE] [--storage sqlite|postgresql://...]
# Exit status: 0 when every target ran and answered only 2xx without socket errors, 1 otherwise
# (the JSON is still written so the problem is visible), 2 on bad usage or missing tools.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

duration_s=10
warmup_s=2
connections=64
pod_count=1000
out="$repo/bench/results/http.json"
storage=""
build_dir=""

usage() {
  sed -n '5,6s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

die() {
  echo "bench: $*" >&2
  exit 2
}

positive_int() {
  [[ "$2" =~ ^[0-9]+$ && "$2" -gt 0 ]] || die "$1 wants a positive integer, got '$2'"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) positive_int "$1" "${2-}"; duration_s=$2; shift 2 ;;
    --warmup) [[ "${2-}" =~ ^[0-9]+$ ]] || die "--warmup wants an integer"; warmup_s=$2; shift 2 ;;
    --connections) positive_int "$1" "${2-}"; connections=$2; shift 2 ;;
    --pods) positive_int "$1" "${2-}"; pod_count=$2; shift 2 ;;
    --out) [ -n "${2-}" ] || die "--out wants a file name"; out=$2; shift 2 ;;
    --storage) [ -n "${2-}" ] || die "--storage wants sqlite or a postgresql:// URI"; storage=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "bench: unknown option $1" >&2; usage ;;
    *) [ -z "$build_dir" ] || usage; build_dir=$1; shift ;;
  esac
done
[ -n "$build_dir" ] || usage

minimal_bin="$build_dir/bench/http/payorch_bench_minimal_server"
payorch_bin="$build_dir/app/payorch"
for bin in "$minimal_bin" "$payorch_bin"; do
  [ -x "$bin" ] || die "missing binary $bin (build first: cmake --build --preset release)"
done
for tool in wrk curl timeout; do
  command -v "$tool" >/dev/null || die "missing tool '$tool' (make deps installs it)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/payorch-bench.XXXXXX")
logs="$work/logs"
mkdir -p "$logs"
server_pids=()
exit_status=0

# Stops one server politely, then for good; a benchmark must never leave a server behind.
stop_server() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  local still=() other
  for other in "${server_pids[@]}"; do [ "$other" = "$pid" ] || still+=("$other"); done
  server_pids=("${still[@]}")
}

cleanup() {
  local pid
  for pid in "${server_pids[@]}"; do stop_server "$pid"; done
  rm -rf "$work/data"
  if [ "$exit_status" -eq 0 ]; then
    rm -rf "$work"
  else
    echo "bench: logs kept in $logs" >&2
  fi
}
trap 'exit_status=$?; cleanup' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Ports below Linux's ephemeral range so wrk's own client sockets never hold them.
used_ports=""
pick_port() {
  local candidate i
  for i in $(seq 1 200); do
    candidate=$((20000 + RANDOM % 12000))
    case " $used_ports " in *" $candidate "*) continue ;; esac
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then
      used_ports="$used_ports $candidate"
      port=$candidate
      return 0
    fi
  done
  echo "bench: no free port found on 127.0.0.1" >&2
  exit 1
}

# Starts a server in the background; its pid lands in $server_pid (no subshell, so trap sees it).
start_server() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  server_pid=$!
  server_pids+=("$server_pid")
}

# Waits until something answers HTTP on the port; any status code counts as serving.
# Prints the reason and returns 1 when the server died or stayed silent.
wait_until_serving() {
  local name=$1 pid=$2 port=$3 log=$4 limit_s=$5 code status i
  for i in $(seq 1 $((limit_s * 10))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      status=0
      wait "$pid" 2>/dev/null || status=$?
      failure_reason="$name exited (status $status) before answering on 127.0.0.1:$port"
      echo "bench: $failure_reason; last lines of its log:" >&2
      tail -n 5 "$log" | sed 's/^/  | /' >&2
      return 1
    fi
    code=$(curl -s -o /dev/null --max-time 1 -w '%{http_code}' "http://127.0.0.1:$port/" || true)
    if [ -n "$code" ] && [ "$code" != "000" ]; then return 0; fi
    sleep 0.1
  done
  failure_reason="$name did not answer on 127.0.0.1:$port within ${limit_s}s"
  echo "bench: $failure_reason" >&2
  return 1
}

# Per-target results, keyed by target name.
declare -A rps p50 p99 non_2xx errors failed write_bytes_per_request commits_per_request
measured_pid=""
measured_port=""
targets=(minimal payorch_post_pods payorch_get_pod payorch_post_pledges)
declare -A describe=(
  [minimal]="GET on the minimal Beast server"
  [payorch_post_pods]="POST /pods on payorch serve (durable create)"
  [payorch_get_pod]="GET /pods/{id} on payorch serve"
  [payorch_post_pledges]="POST /pods/{id}/pledges on payorch serve (durable, idempotent, authenticated)"
)
declare -A aim=([payorch_post_pods]=0.3 [payorch_get_pod]=0.6 [payorch_post_pledges]=0.3)

# Records why a target has no figures; the caller has already told the user.
mark_failed() {
  failed[$1]=$2
}

# The Authorization header every wrk script sends (PAYORCH_BENCH_TOKEN, read by the Lua
# scripts). payorch's comes from its bootstrap client; the minimal server gets a filler of a
# token's length so both parse requests of the same size.
bench_token=$(printf 'x%.0s' $(seq 1 560))

# Gets one access token from the bootstrap client in $2/credentials.json (POST /oauth/token on
# port $1, HTTP Basic) into $bench_token; prints the reason and returns 1 on failure.
fetch_token() {
  local port=$1 data_dir=$2 credentials id secret answer
  credentials="$data_dir/credentials.json"
  id=$(sed -n 's/.*"client_id":"\([^"]*\)".*/\1/p' "$credentials" 2>/dev/null || true)
  secret=$(sed -n 's/.*"client_secret":"\([^"]*\)".*/\1/p' "$credentials" 2>/dev/null || true)
  if [ -z "$id" ] || [ -z "$secret" ]; then
    failure_reason="no bootstrap client in $credentials"
    echo "bench: $failure_reason" >&2
    return 1
  fi
  answer=$(curl -sS --max-time 10 -u "$id:$secret" -d grant_type=client_credentials \
    "http://127.0.0.1:$port/oauth/token" 2>&1 || true)
  bench_token=$(sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p' <<<"$answer")
  if [ -z "$bench_token" ]; then
    failure_reason="POST /oauth/token gave no token: $answer"
    echo "bench: $failure_reason" >&2
    return 1
  fi
}

# Runs the warm-up and the measured wrk run for one target and records its figures.
measure() {
  local name=$1 url=$2 script=$3
  shift 3
  local log="$logs/$name.wrk.log" line status=0
  local wrk_args=(-t1 "-c$connections" --timeout 10s -s "$here/$script" "$url")
  echo "bench: $name: ${warmup_s}s warm-up, ${duration_s}s run, $connections connections" >&2
  if [ "$warmup_s" -gt 0 ]; then
    PAYORCH_BENCH_TOKEN=$bench_token timeout $((warmup_s + 30)) wrk "-d${warmup_s}s" \
      "${wrk_args[@]}" -- "$@" warmup >"$logs/$name.warmup.log" 2>&1 || true
  fi
  local bytes_before commits_before
  bytes_before=$(disk_write_bytes)
  commits_before=$(journal_commits)
  PAYORCH_BENCH_TOKEN=$bench_token timeout $((duration_s + 30)) wrk "-d${duration_s}s" \
    "${wrk_args[@]}" -- "$@" run >"$log" 2>&1 || status=$?
  line=$(grep '^wrk-result ' "$log" | tail -n 1 || true)
  per_request "$name" write_bytes "$bytes_before" "$(disk_write_bytes)" "$line"
  per_request "$name" commits "$commits_before" "$(journal_commits)" "$line"
  if [ "$status" -ne 0 ] || [ -z "$line" ]; then
    mark_failed "$name" "wrk failed (status $status): $(grep -v '^wrk-result' "$log" | head -n 1)"
    echo "bench: $name: ${failed[$name]}" >&2
    return 0
  fi
  rps[$name]=$(field requests_per_s "$line")
  p50[$name]=$(field p50_ms "$line")
  p99[$name]=$(field p99_ms "$line")
  non_2xx[$name]=$(field non_2xx "$line")
  errors[$name]=$(field errors "$line")
}

# Bytes the measured payorch process has caused to be written to disk so far ("" when no
# payorch process is being measured).
disk_write_bytes() {
  [ -n "${measured_pid-}" ] || return 0
  sed -n 's/^write_bytes: //p' "/proc/$measured_pid/io" 2>/dev/null || true
}

# Journal transactions (one WAL or PostgreSQL commit each) the measured payorch has made so far.
journal_commits() {
  [ -n "${measured_port-}" ] || return 0
  curl -s --max-time 5 "http://127.0.0.1:$measured_port/metrics" 2>/dev/null |
    sed -n 's/^payorch_journal_batches_total //p' || true
}

# Records counter delta / requests of the run as ${what}[name] (nothing when unknown).
per_request() {
  local name=$1 what=$2 before=$3 after=$4 line=$5 requests
  requests=$(field requests "$line")
  [ -n "$before" ] && [ -n "$after" ] && [ -n "$requests" ] && [ "$requests" -gt 0 ] || return 0
  local value
  value=$(awk -v a="$before" -v b="$after" -v n="$requests" 'BEGIN { printf "%.3f", (b - a) / n }')
  case "$what" in
    write_bytes) write_bytes_per_request[$name]=$value ;;
    commits) commits_per_request[$name]=$value ;;
  esac
}

field() {
  sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

# Creates pods with one keep-alive curl process and leaves their ids in $1, one per line.
create_pods() {
  local ids_file=$1 port=$2 config="$work/create.curl" body="$work/pod.json" i
  printf '%s' '{"name":"Bench pod","currency":"EUR","policy":{"spending_limit":5000,"voting_quorum":0.66,"risk_tier":"STANDARD"}}' \
    >"$body"
  for i in $(seq 1 "$pod_count"); do
    printf 'url = "http://127.0.0.1:%s/pods"\nheader = "Content-Type: application/json"\n' "$port"
    printf 'header = "Authorization: Bearer %s"\n' "$bench_token"
    printf 'header = "Idempotency-Key: bench-seed-%s-%s"\n' "$$" "$i"
    printf 'data-binary = "@%s"\nmax-time = 10\nwrite-out = " http_code=%%{http_code}\\n"\n' "$body"
    [ "$i" -eq "$pod_count" ] || printf 'next\n'
  done >"$config"
  curl -sS -K "$config" >"$logs/create_pods.log" 2>&1 || true
  sed -n 's/.*"pod_id"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$logs/create_pods.log" \
    >"$ids_file"
  echo "bench: created $(wc -l <"$ids_file") of $pod_count pods for the GET run; answers:" \
    "$(grep -o 'http_code=[0-9]*' "$logs/create_pods.log" | sort | uniq -c | tr -s ' \n' ' ')" >&2
}

# Activates every pod in $1 and adds "bench-member" as a MEMBER, with one keep-alive curl.
prepare_pledge_pods() {
  local ids_file=$1 port=$2 config="$work/prepare.curl" member="$work/member.json" id n=0
  printf '%s' '{"user_id":"bench-member","role":"MEMBER"}' >"$member"
  while read -r id; do
    n=$((n + 1))
    [ "$n" -eq 1 ] || printf 'next\n'
    printf 'url = "http://127.0.0.1:%s/pods/%s/actions/activate"\nrequest = "POST"\n' "$port" "$id"
    printf 'header = "Authorization: Bearer %s"\nmax-time = 10\n' "$bench_token"
    printf 'write-out = " http_code=%%{http_code}\\n"\nnext\n'
    printf 'url = "http://127.0.0.1:%s/pods/%s/members"\nheader = "Content-Type: application/json"\n' \
      "$port" "$id"
    printf 'header = "Authorization: Bearer %s"\ndata-binary = "@%s"\nmax-time = 10\n' \
      "$bench_token" "$member"
    printf 'write-out = " http_code=%%{http_code}\\n"\n'
  done <"$ids_file" >"$config"
  curl -sS -K "$config" >"$logs/prepare_pledges.log" 2>&1 || true
  echo "bench: prepared the pods for pledges; answers:" \
    "$(grep -o 'http_code=[0-9]*' "$logs/prepare_pledges.log" | sort | uniq -c | tr -s ' \n' ' ')" >&2
}

run_minimal() {
  pick_port
  local minimal_port=$port log="$logs/minimal_server.log"
  start_server "$log" "$minimal_bin" --listen "127.0.0.1:$minimal_port"
  local pid=$server_pid
  if wait_until_serving "minimal server" "$pid" "$minimal_port" "$log" 10; then
    measure minimal "http://127.0.0.1:$minimal_port" minimal.lua
  else
    mark_failed minimal "$failure_reason"
  fi
  # Freed before payorch starts so the two servers never share the two cores.
  stop_server "$pid"
}

run_payorch() {
  pick_port
  local payorch_port=$port log="$logs/payorch.log" ids="$work/pod_ids.txt"
  mkdir -p "$work/data"
  local storage_args=()
  [ -z "$storage" ] || storage_args=(--storage "$storage")
  start_server "$log" "$payorch_bin" serve --listen "127.0.0.1:$payorch_port" \
    --data-dir "$work/data" "${storage_args[@]}"
  local pid=$server_pid
  if ! wait_until_serving "payorch serve" "$pid" "$payorch_port" "$log" 20 ||
    ! fetch_token "$payorch_port" "$work/data"; then
    mark_failed payorch_post_pods "$failure_reason"
    mark_failed payorch_get_pod "$failure_reason"
    mark_failed payorch_post_pledges "$failure_reason"
    return 0
  fi
  measured_pid=$pid
  measured_port=$payorch_port
  measure payorch_post_pods "http://127.0.0.1:$payorch_port" post_pods.lua "bench-$$"
  create_pods "$ids" "$payorch_port"
  if [ -s "$ids" ]; then
    measure payorch_get_pod "http://127.0.0.1:$payorch_port" get_pods.lua "$ids"
    prepare_pledge_pods "$ids" "$payorch_port"
    measure payorch_post_pledges "http://127.0.0.1:$payorch_port" post_pledges.lua "$ids" \
      "pledge-$$"
  else
    mark_failed payorch_get_pod "no pod could be created with POST /pods (see create_pods.log)"
    mark_failed payorch_post_pledges "${failed[payorch_get_pod]}"
    echo "bench: payorch_get_pod: ${failed[payorch_get_pod]}" >&2
  fi
  measured_pid=""
  measured_port=""
  stop_server "$pid"
}

json_string() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  printf '"%s"' "$s"
}

ratio() {
  local name=$1
  if [ -n "${rps[$name]-}" ] && [ -n "${rps[minimal]-}" ]; then
    awk -v a="${rps[$name]}" -v b="${rps[minimal]}" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "null" }'
  else
    printf 'null'
  fi
}

json_target() {
  local name=$1 r
  printf '    {"name": %s, "what": %s' "$(json_string "$name")" "$(json_string "${describe[$name]}")"
  if [ -n "${failed[$name]-}" ]; then
    printf ', "requests_per_s": null, "p50_ms": null, "p99_ms": null, "non_2xx": null, "errors": null'
    printf ', "failure": %s' "$(json_string "${failed[$name]}")"
  else
    printf ', "requests_per_s": %s, "p50_ms": %s, "p99_ms": %s, "non_2xx": %s, "errors": %s' \
      "${rps[$name]}" "${p50[$name]}" "${p99[$name]}" "${non_2xx[$name]}" "${errors[$name]}"
  fi
  if [ -n "${write_bytes_per_request[$name]-}" ]; then
    printf ', "disk_write_bytes_per_request": %s' "${write_bytes_per_request[$name]}"
  fi
  if [ -n "${commits_per_request[$name]-}" ]; then
    printf ', "journal_commits_per_request": %s' "${commits_per_request[$name]}"
  fi
  if [ -n "${aim[$name]-}" ]; then
    r=$(ratio "$name")
    printf ', "ratio_to_minimal": %s, "aim_ratio": %s' "$r" "${aim[$name]}"
  fi
  printf '}'
}

write_json() {
  local model commit dirty=false sep="" name
  model=$(grep -m1 '^model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ *//' || true)
  commit=$(git -C "$repo" rev-parse --verify -q HEAD 2>/dev/null || echo unknown)
  if [ -n "$(git --no-optional-locks -C "$repo" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    dirty=true
  fi
  mkdir -p "$(dirname "$out")"
  {
    printf '{\n  "date": %s,\n' "$(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
    printf '  "git_commit": %s,\n  "git_dirty": %s,\n' "$(json_string "$commit")" "$dirty"
    printf '  "machine": {"nproc": %s, "model_name": %s, "kernel": %s},\n' "$(nproc)" \
      "$(json_string "${model:-unknown}")" "$(json_string "$(uname -sr)")"
    printf '  "load": {"tool": %s, "threads": 1, "connections": %s, "duration_s": %s, "warmup_s": %s},\n' \
      "$(json_string "$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)")" "$connections" "$duration_s" "$warmup_s"
    printf '  "targets": [\n'
    for name in "${targets[@]}"; do
      printf '%s' "$sep"
      json_target "$name"
      sep=$',\n'
    done
    printf '\n  ]\n}\n'
  } >"$out"
}

print_table() {
  local name r
  printf '\n%-19s %11s %8s %8s %8s %7s  %s\n' target "requests/s" "p50 ms" "p99 ms" non-2xx errors "vs minimal (aim)"
  for name in "${targets[@]}"; do
    if [ -n "${failed[$name]-}" ]; then
      printf '%-19s FAILED: %s\n' "$name" "${failed[$name]}"
      continue
    fi
    r="-"
    [ -z "${aim[$name]-}" ] || r="$(ratio "$name") (>= ${aim[$name]})"
    printf '%-19s %11s %8s %8s %8s %7s  %s\n' "$name" "${rps[$name]}" "${p50[$name]}" \
      "${p99[$name]}" "${non_2xx[$name]}" "${errors[$name]}" "$r"
  done
  printf '\nwritten: %s\n' "$out"
}

# Any failed target or non-2xx/socket error makes the run fail, after the JSON is written.
verdict() {
  local name bad=0
  for name in "${targets[@]}"; do
    if [ -n "${failed[$name]-}" ]; then
      bad=1
    elif [ "${non_2xx[$name]}" != 0 ] || [ "${errors[$name]}" != 0 ]; then
      echo "bench: $name: ${non_2xx[$name]} non-2xx answers, ${errors[$name]} socket errors" >&2
      bad=1
    fi
  done
  return "$bad"
}

run_minimal
run_payorch
write_json
print_table
verdict
