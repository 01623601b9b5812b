#!/usr/bin/env bash
# NBD export benchmark: our `serve` against nbdkit curl (as the original service runs it), nbdkit curl with
# its readahead and cache filters, and curl itself as the loopback ceiling, all against one nginx (TLS, 1 GiB).
# "ours" is the native binary a BMC runs (scripts/publish), "ours-jit" the same code on the JIT runtime.
# Prints a table with the ratios ours/nbdkit. Run on demand: bench/nbd/run.sh [RUNS] [SIZE_MIB]
# Tuning knobs: SERVERS="ours nbdkit" limits the servers, SERVE_ARGS adds `serve` options (--http2 to measure
# HTTP/2), QUICK=1 skips latencies.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${1:-3}
size_mib=${2:-1024}
repo=$(pwd)

for tool in nginx nbdkit nbdcopy openssl curl /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import nbd' || { echo "python3-libnbd missing" >&2; exit 1; }

work=$(mktemp -d /tmp/vm-bench-XXXXXX)
chmod 700 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

dotnet build VirtualMedia.Service -c Release --nologo -v q >/dev/null
serve_dll="$repo/VirtualMedia.Service/bin/Release/net10.0/VirtualMedia.Service.dll"
echo "publishing the native binary..." >&2
serve_native=$(scripts/publish "$work/native")

echo "preparing ${size_mib} MiB image and nginx..." >&2
mkdir -p "$work/www" "$work/tmp" "$work/run"
chmod 700 "$work/run"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/www/disk.img"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; user root;
pid $work/nginx.pid; error_log $work/error.log warn;
events { worker_connections 256; }
http {
  access_log off; sendfile on; keepalive_requests 1000000;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$port ssl http2;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    location / { root $work/www; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
pids+=("$nginx_pid")
url="https://127.0.0.1:$port/disk.img"
for _ in $(seq 50); do curl -ks -o /dev/null "$url" -r 0-0 && break; sleep 0.1; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
sock="$work/run/nbd.sock"
uri="nbd+unix:///?socket=$sock"

start_server() { # name -> sets server_pid
  rm -f "$sock"
  case "$1" in
    # shellcheck disable=SC2086
    ours) "$serve_native" serve "$url" --socket "$sock" --insecure ${SERVE_ARGS:-} >"$work/serve.log" 2>&1 & ;;
    # shellcheck disable=SC2086
    ours-jit) dotnet "$serve_dll" serve "$url" --socket "$sock" --insecure ${SERVE_ARGS:-} >"$work/serve.log" 2>&1 & ;;
    nbdkit) nbdkit -f --unix "$sock" --readonly curl url="$url" sslverify=false & ;;
    nbdkit-ra-cache) nbdkit -f --unix "$sock" --readonly --filter=readahead --filter=cache curl url="$url" sslverify=false & ;;
    nbdkit-file) nbdkit -f --unix "$sock" --readonly file "$work/www/disk.img" & ;;
  esac
  server_pid=$!
  for _ in $(seq 100); do [ -S "$sock" ] && nbdinfo --size "$uri" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "$1 did not start" >&2; cat "$work/serve.log" >&2 2>/dev/null; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

declare -A seq cpu rss lat4 lat1m reread
bytes=$((size_mib * 1024 * 1024))
servers=${SERVERS:-ours ours-jit nbdkit nbdkit-ra-cache nbdkit-file}
for name in ours ours-jit nbdkit nbdkit-ra-cache nbdkit-file; do seq[$name]=0; cpu[$name]=0; rss[$name]=0; lat4[$name]="- -"; lat1m[$name]="- -"; reread[$name]="- -"; done
for name in $servers; do
  echo "measuring $name..." >&2
  speeds=(); cpus=()
  start_server "$name"
  for run in $(seq "$runs"); do
    s0=$(cpu_ticks "$server_pid"); n0=$(cpu_ticks "$nginx_pid")
    t0=$(date +%s.%N)
    client=$( { TIMEFORMAT='%U %S'; time nbdcopy "$uri" null: >/dev/null; } 2>&1 )
    t1=$(date +%s.%N)
    s1=$(cpu_ticks "$server_pid"); n1=$(cpu_ticks "$nginx_pid")
    speeds+=("$(echo "$bytes / ($t1 - $t0) / 1000000" | bc -l)")
    # CPU seconds per GiB, all processes: server + nginx + nbdcopy.
    cpus+=("$(echo "(($s1 - $s0) + ($n1 - $n0)) / $hz + $(echo "$client" | awk '{print $1 + $2}')" | bc -l | awk -v g="$size_mib" '{print $1 * 1024 / g}')")
  done
  seq[$name]=$(printf '%s\n' "${speeds[@]}" | median)
  cpu[$name]=$(printf '%s\n' "${cpus[@]}" | median)
  rss[$name]=$(awk '/VmHWM/ {print $2 / 1024}' "/proc/$server_pid/status")
  if [ -z "${QUICK:-}" ]; then
    lat4[$name]=$(/usr/bin/python3 bench/nbd/latency.py "$uri" 4096 400 1)
    lat1m[$name]=$(/usr/bin/python3 bench/nbd/latency.py "$uri" 1048576 60 2)
    # 100 blocks: the re-read set (100 pages of 64 KiB) fits the default 8 MiB cache.
    reread[$name]=$(/usr/bin/python3 bench/nbd/latency.py "$uri" 4096 100 3 --reread)
  fi
  stop_server
done

echo "measuring curl..." >&2
curl_seq=0; curl_cpu=0
[ -n "${QUICK:-}" ] || {
curls=(); curlcpu=()
for run in $(seq "$runs"); do
  n0=$(cpu_ticks "$nginx_pid")
  out=$( { TIMEFORMAT='%U %S'; time curl -ks -o /dev/null -w '%{speed_download}\n' "$url"; } 2>&1 )
  n1=$(cpu_ticks "$nginx_pid")
  curls+=("$(echo "$out" | head -1 | awk '{print $1 / 1000000}')")
  curlcpu+=("$(echo "($n1 - $n0) / $hz + $(echo "$out" | tail -1 | awk '{print $1 + $2}')" | bc -l | awk -v g="$size_mib" '{print $1 * 1024 / g}')")
done
curl_seq=$(printf '%s\n' "${curls[@]}" | median)
curl_cpu=$(printf '%s\n' "${curlcpu[@]}" | median)
}

p() { echo "$1" | awk -v i="$2" '{print $i}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
printf '\nNBD export benchmark: %s MiB image, nginx TLS on loopback, %s runs (median), %s cores\n\n' "$size_mib" "$runs" "$(nproc)"
printf '%-28s %8s %8s %11s %15s %8s %11s %11s %11s\n' metric ours ours-jit nbdkit-curl nbdkit+ra+cache curl nbdkit-file ours/nbdkit jit/nbdkit
row() { printf '%-28s %8s %8s %11s %15s %8s %11s %11s %11s\n' "$@"; }
row "sequential nbdcopy MB/s" "$(printf %.0f "${seq[ours]}")" "$(printf %.0f "${seq[ours-jit]}")" "$(printf %.0f "${seq[nbdkit]}")" "$(printf %.0f "${seq[nbdkit-ra-cache]}")" "$(printf %.0f "$curl_seq")" "$(printf %.0f "${seq[nbdkit-file]}")" "$(ratio "${seq[ours]}" "${seq[nbdkit]}")" "$(ratio "${seq[ours-jit]}" "${seq[nbdkit]}")"
row "CPU s/GiB (all processes)" "$(printf %.2f "${cpu[ours]}")" "$(printf %.2f "${cpu[ours-jit]}")" "$(printf %.2f "${cpu[nbdkit]}")" "$(printf %.2f "${cpu[nbdkit-ra-cache]}")" "$(printf %.2f "$curl_cpu")" "$(printf %.2f "${cpu[nbdkit-file]}")" "$(ratio "${cpu[ours]}" "${cpu[nbdkit]}")" "$(ratio "${cpu[ours-jit]}" "${cpu[nbdkit]}")"
row "peak RSS server MiB" "$(printf %.1f "${rss[ours]}")" "$(printf %.1f "${rss[ours-jit]}")" "$(printf %.1f "${rss[nbdkit]}")" "$(printf %.1f "${rss[nbdkit-ra-cache]}")" "-" "$(printf %.1f "${rss[nbdkit-file]}")" "$(ratio "${rss[ours]}" "${rss[nbdkit]}")" "$(ratio "${rss[ours-jit]}" "${rss[nbdkit]}")"
for kind in lat4:"random 4 KiB" lat1m:"random 1 MiB" reread:"cached 4 KiB re-read"; do
  var=${kind%%:*}; label=${kind#*:}
  declare -n m=$var
  for i in 1 2; do
    q=$([ $i = 1 ] && echo p50 || echo p99)
    row "$label $q ms" "$(p "${m[ours]}" $i)" "$(p "${m[ours-jit]}" $i)" "$(p "${m[nbdkit]}" $i)" "$(p "${m[nbdkit-ra-cache]}" $i)" "-" "$(p "${m[nbdkit-file]}" $i)" "$(ratio "$(p "${m[ours]}" $i)" "$(p "${m[nbdkit]}" $i)")" "$(ratio "$(p "${m[ours-jit]}" $i)" "$(p "${m[nbdkit]}" $i)")"
  done
  unset -n m
done
