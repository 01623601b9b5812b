#!/usr/bin/env bash
# NBD export benchmark, as a Mount lives it: a fresh server per read, the servers of one round read one after the
# other before the next round starts (interleaved, so a noisy machine hits all alike), over nginx TLS on loopback and
# through a TCP delay proxy (bench/nbd/delay_proxy.py; this kernel has no netem) for longer round trips.
# Servers: "ours" (the native binary a BMC runs, scripts/publish), "nbdkit" (nbdkit curl, as the original service
# runs it); optional "ours-jit", "ours-b" (another binary, OURS_B=path, for before/after), "nbdkit-ra-cache"
# (readahead and cache filters). "curl" (one connection, one GET) is the ceiling at each latency.
# Per read: MB/s, CPU of every process (server from its start, nginx, the client; the proxy apart), HTTP requests
# (nginx's access log), peak RSS of the server, our collections' pause per GiB. Per round at loopback: random
# 4 KiB / 1 MiB latency and cached re-reads (nbdkit-file is the re-read reference), 4 KiB reads in 10 bursts of 100
# with 0.3 s pauses between (a host with think time: each burst's first reads come after idle), and the idle RSS of the service
# with four slots (sandbox, no mounts). Prints every round's figures, then one table of medians with ratios against nbdkit curl and curl.
# Run on demand (not in CI): bench/nbd/run.sh [ROUNDS] [SIZE_MIB]
# Knobs: SERVERS ("ours nbdkit"), LATENCIES ("0 20 100", round-trip ms), SIZE_20 / SIZE_100 (MiB read at those
# latencies: 256 / 64, as nbdkit needs minutes per GiB there), OURS (a published binary: skips publishing),
# SERVE_ARGS / OURS_B_ARGS (extra `serve` options), OURS_B_ENV (its environment, e.g. DOTNET_GCGen0MaxBudget=400000:
# hex without 0x, names case-sensitive, else ignored; "ours" gets the unit file's Environment=), NBDCOPY_ARGS (the client: nbdcopy's defaults read four 128 MiB
# regions at once over four connections, 64 requests deep each; "-C 1 -R 8 --request-size=1048576" reads as one kernel
# NBD device does, one stream), LATENCY_REPEAT (reads of ours and curl per round through the delay proxy, default 3;
# nbdkit reads once there), QUICK=1 (no random reads, no idle figure), KEEP=dir (raw figures), RANDOM_REPEAT
# (random-read runs per server per round, default 1: a run's 4 KiB p99 is its 4th-worst read of 400, so a median of it
# wants some 25 runs, e.g. 5 rounds of 5; the servers' order rotates from run to run), RANDOM_ONLY=1 (random reads
# and the idle figure only: about three minutes for 21 runs a server).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
size_mib=${2:-1024}
repo=$(pwd)
. bench/sandbox-bus.sh
servers=${SERVERS:-ours nbdkit}
latencies=${LATENCIES:-0 20 100}

for tool in nginx nbdkit nbdcopy nbdinfo openssl curl bc dbus-daemon busctl /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import nbd' || { echo "python3-libnbd missing" >&2; exit 1; }

work=$(mktemp -d /tmp/vm-bench-XXXXXX)
chmod 700 "$work"
pids=()
server_pid=""
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -z "${KEEP:-}" ] || cp "$work/raw.tsv" "$work/random.tsv" "$work/idle.tsv" "$work/reads-4k.txt" "$KEEP/" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -n "${OURS:-}" ]; then
  serve_native=$OURS
else
  echo "publishing the native binary..." >&2
  serve_native=$(nice -n 10 scripts/publish "$work/native")
fi
if [[ " $servers " == *" ours-jit "* ]]; then
  dotnet build VirtualMedia.Service -c Release --nologo -v q >/dev/null
fi
serve_dll="$repo/VirtualMedia.Service/bin/Release/net10.0/VirtualMedia.Service.dll"
# What systemd gives the installed service (GC settings): "ours" runs with it, as a BMC runs it.
read -r -a unit_env <<<"$(sed -n 's/^Environment=//p' systemd/virtual-media.service | tr '\n' ' ')"

image_mib() { case $1 in 0) echo "$size_mib" ;; 20) echo "${SIZE_20:-256}" ;; 100) echo "${SIZE_100:-64}" ;; *) echo 64 ;; esac; }
image_path() { [ "$1" = 0 ] && echo "$work/www/disk.img" || echo "$work/www/disk-$1.img"; }
echo "preparing images and nginx..." >&2
mkdir -p "$work/www" "$work/tmp" "$work/run"
chmod 700 "$work/run"
# Each latency reads its own image (a prefix of the largest), so the sizes differ but the bytes do not. The loopback
# image is cut to its size last: an image asked for larger than it was once a copy of it, silently short, while its
# MB/s were counted for the size asked for.
max_mib=$size_mib
for lat in $latencies; do [ "$(image_mib "$lat")" -le "$max_mib" ] || max_mib=$(image_mib "$lat"); done
head -c "$((max_mib * 1024 * 1024))" /dev/urandom >"$(image_path 0)"
for lat in $latencies; do
  [ "$lat" = 0 ] || head -c "$(($(image_mib "$lat") * 1024 * 1024))" "$(image_path 0)" >"$(image_path "$lat")"
done
truncate -s "$((size_mib * 1024 * 1024))" "$(image_path 0)"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port)
cat >"$work/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; user root;
pid $work/nginx.pid; error_log $work/error.log warn;
events { worker_connections 256; }
http {
  log_format bench '\$status \$bytes_sent';
  access_log $work/access.log bench;
  sendfile on; keepalive_requests 1000000;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$port ssl http2;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    # Debian's nginx 1.22 offers TLS 1.2 only unless told; image servers today speak TLS 1.3.
    ssl_protocols TLSv1.2 TLSv1.3;
    location / { root $work/www; }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" &
nginx_pid=$!
pids+=("$nginx_pid")
: >"$work/access.log"
for _ in $(seq 50); do curl -ks -o /dev/null "https://127.0.0.1:$port/disk.img" -r 0-0 && break; sleep 0.1; done

declare -A url proxy_pid
for lat in $latencies; do
  if [ "$lat" = 0 ]; then
    url[$lat]="https://127.0.0.1:$port/disk.img"
    proxy_pid[$lat]=""
    continue
  fi
  pport=$(free_port)
  /usr/bin/python3 bench/nbd/delay_proxy.py "$pport" 127.0.0.1 "$port" "$lat" >"$work/proxy-$lat.log" 2>&1 &
  proxy_pid[$lat]=$!
  pids+=("$!")
  for _ in $(seq 50); do grep -q ready "$work/proxy-$lat.log" && break; sleep 0.1; done
  url[$lat]="https://127.0.0.1:$pport/disk-$lat.img"
done

hz=$(getconf CLK_TCK)
ticks() { [ -n "$1" ] && awk '{print $14 + $15}' "/proc/$1/stat" || echo 0; }
secs() { echo "$1" | bc -l; }
sock="$work/run/nbd.sock"
uri="nbd+unix:///?socket=$sock"
log_lines() { wc -l <"$work/access.log"; }

start_server() { # name url -> sets server_pid
  rm -f "$sock"
  case "$1" in
    # shellcheck disable=SC2086
    ours) env "${unit_env[@]}" "$serve_native" serve "$2" --socket "$sock" --insecure ${SERVE_ARGS:-} >"$work/serve.log" 2>&1 & ;;
    # shellcheck disable=SC2086
    ours-b) env ${OURS_B_ENV:-} "$OURS_B" serve "$2" --socket "$sock" --insecure ${OURS_B_ARGS:-} >"$work/serve.log" 2>&1 & ;;
    # shellcheck disable=SC2086
    ours-jit) dotnet "$serve_dll" serve "$2" --socket "$sock" --insecure ${SERVE_ARGS:-} >"$work/serve.log" 2>&1 & ;;
    nbdkit) nbdkit -f --unix "$sock" --readonly curl url="$2" sslverify=false & ;;
    nbdkit-ra-cache) nbdkit -f --unix "$sock" --readonly --filter=readahead --filter=cache curl url="$2" sslverify=false & ;;
    nbdkit-file) nbdkit -f --unix "$sock" --readonly file "$work/www/disk.img" & ;;
  esac
  server_pid=$!
  for _ in $(seq 200); do [ -S "$sock" ] && nbdinfo --size "$uri" >/dev/null 2>&1 && return; sleep 0.05; done
  echo "$1 did not start" >&2; cat "$work/serve.log" >&2 2>/dev/null; exit 1
}
stop_server() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; }
# Requests nginx logged since line $1: it logs a request once answered, so wait until the count settles.
requests_since() {
  local before=$1 n m
  n=$(log_lines)
  for _ in $(seq 20); do sleep 0.1; m=$(log_lines); [ "$m" = "$n" ] && break; n=$m; done
  echo $((n - before))
}

# One sequential read of the whole image by a fresh server (or curl): appends a line to raw.tsv:
# latency name round MB/s cpu_all_s/GiB cpu_server cpu_nginx cpu_client cpu_proxy requests/GiB peakRSS_MiB load1
# gc_pause_ms/GiB (ours: from serve's last line; - for the others)
read_once() { # lat name round
  local lat=$1 name=$2 round=$3 mib bytes lines n0 p0 s1 n1 p1 t0 t1 out client rss req cpu_server gc=-
  mib=$(image_mib "$lat"); bytes=$((mib * 1024 * 1024))
  # Every read finds the image in nginx's page cache, not only those after the first of a round: this host keeps
  # little page cache, and a server reading a cold image waited on the disk.
  cat "$(image_path "$lat")" >/dev/null
  if [ "$name" = curl ]; then
    lines=$(log_lines); n0=$(ticks "$nginx_pid"); p0=$(ticks "${proxy_pid[$lat]}")
    out=$( { TIMEFORMAT='%R %U %S'; time curl -ks -o /dev/null "${url[$lat]}"; } 2>&1 )
    n1=$(ticks "$nginx_pid"); p1=$(ticks "${proxy_pid[$lat]}")
    cpu_server=0; rss=0
  else
    # Counted from here: the server's start-up (connect, TLS, probe) is part of what a Mount costs.
    lines=$(log_lines)
    start_server "$name" "${url[$lat]}"
    n0=$(ticks "$nginx_pid"); p0=$(ticks "${proxy_pid[$lat]}")
    # shellcheck disable=SC2086
    out=$( { TIMEFORMAT='%R %U %S'; time nbdcopy ${NBDCOPY_ARGS:-} "$uri" null: >/dev/null; } 2>&1 )
    s1=$(ticks "$server_pid"); n1=$(ticks "$nginx_pid"); p1=$(ticks "${proxy_pid[$lat]}")
    rss=$(awk '/VmHWM/ {printf "%.1f", $2 / 1024}' "/proc/$server_pid/status")
    stop_server
    cpu_server=$(secs "$s1 / $hz")
    case $name in
      ours*) gc=$(awk '{ for (i = 1; i + 2 <= NF; i++) if ($(i + 1) == "ms" && $(i + 2) == "paused") p = $i } END { print (p == "" ? "-" : p) }' "$work/serve.log") ;;
    esac
  fi
  req=$(requests_since "$lines")
  client=$(echo "$out" | tail -1 | awk '{print $2 + $3}')
  local wall gib
  wall=$(echo "$out" | tail -1 | awk '{print $1}')
  gib=$(secs "$mib / 1024")
  awk -v lat="$lat" -v name="$name" -v round="$round" -v bytes="$bytes" -v wall="$wall" -v gib="$gib" \
    -v srv="$cpu_server" -v ngx="$(secs "($n1 - $n0) / $hz")" -v cli="$client" -v prx="$(secs "($p1 - $p0) / $hz")" \
    -v req="$req" -v rss="$rss" -v load="$(cut -d' ' -f1 /proc/loadavg)" -v gc="$gc" 'BEGIN {
      printf "%s\t%s\t%s\t%.1f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t%s\t%s\t%s\n", lat, name, round, bytes / wall / 1e6,
        (srv + ngx + cli) / gib, srv / gib, ngx / gib, cli / gib, prx / gib, req / gib, rss, load,
        gc == "-" ? "-" : sprintf("%.1f", gc / gib) }' | tee -a "$work/raw.tsv" >&2
}

# random.tsv: name round p50_4k p99_4k p50_1m p99_1m reread_p50 reread_p99 load1 first4_4k p99_after_first4_4k
# p99_bursts_4k first4_of_bursts_4k;
# reads-4k.txt: every 4 KiB read's time, a line per run, "name round" first.
random_once() { # name round
  local a b c d a50 a99 first4 after4 d99 dfirst4
  start_server "$1" "${url[0]}"
  printf '%s %s ' "$1" "$2" >>"$work/reads-4k.txt"
  a=$(/usr/bin/python3 bench/nbd/latency.py "$uri" 4096 400 "$2" --warm "$(image_path 0)" --head 4 --times "$work/reads-4k.txt")
  # The same server on: 10 bursts of 100 reads, other offsets (the first run's are cached by ours, not by nbdkit).
  d=$(/usr/bin/python3 bench/nbd/latency.py "$uri" 4096 1000 "$(($2 + 100000))" --warm "$(image_path 0)" --bursts 100 --head 4)
  b=$(/usr/bin/python3 bench/nbd/latency.py "$uri" 1048576 60 "$2" --warm "$(image_path 0)")
  # 100 blocks: the re-read set (100 pages of 64 KiB) fits the default cache.
  c=$(/usr/bin/python3 bench/nbd/latency.py "$uri" 4096 100 "$2" --reread)
  stop_server
  read -r a50 a99 first4 after4 <<<"$a"
  read -r _ d99 dfirst4 _ <<<"$d"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$a50" "$a99" "${b/ /$'\t'}" "${c/ /$'\t'}" \
    "$(cut -d' ' -f1 /proc/loadavg)" "$first4" "$after4" "$d99" "$dfirst4" \
    | tee -a "$work/random.tsv" >&2
}

# Resident memory of the service (native binary) with four slots and nothing mounted, on a private bus and the
# sandboxed kernel side, after it settled: what a BMC pays for having the service at all.
idle_once() { # round -> idle.tsv: round RSS_MiB load1
  local sb="$work/sandbox" bus_pid svc_pid rss
  rm -rf "$sb"; mkdir -p "$sb/root/sys/class/udc/udc.0" "$sb/root/sys/class/udc/udc.1" "$sb/root/sys/class/udc/udc.2" \
    "$sb/root/sys/class/udc/udc.3" "$sb/images"
  mkdir -m 700 -p "$sb/root/run/virtual-media"
  sandbox_bus_conf "$sb"
  local slots="" i
  for i in 0 1 2 3; do
    local mode=$((i / 2)) ep=""
    [ "$mode" = 0 ] && ep="/nbd/$i"
    slots+="\"Slot_$i\": { \"EndpointId\": \"$ep\", \"Mode\": $mode, \"NBDDevice\": \"nbd$i\", \"UnixSocket\": \"$sb/root/run/virtual-media/nbd$i.sock\", \"Timeout\": 30, \"BlockSize\": 512 }"
    [ $i = 3 ] || slots+=","
  done
  printf '{ "Sandbox": "%s", "ImageDirectory": "%s", "MountPoints": { %s } }\n' "$sb/root" "$sb/images" "$slots" >"$sb/vm.json"
  dbus-daemon --config-file="$sb/bus.conf" --nofork --nopidfile 2>/dev/null &
  bus_pid=$!
  for _ in $(seq 50); do [ -S "$sb/bus" ] && break; sleep 0.1; done
  env "${unit_env[@]}" DBUS_SYSTEM_BUS_ADDRESS="unix:path=$sb/bus" "$serve_native" --config "$sb/vm.json" >"$sb/service.log" 2>&1 &
  svc_pid=$!
  for _ in $(seq 100); do
    busctl --address="unix:path=$sb/bus" status xyz.openbmc_project.VirtualMedia >/dev/null 2>&1 && break; sleep 0.1
  done
  sleep 3
  rss=$(awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$svc_pid/status")
  kill "$svc_pid"; wait "$svc_pid" 2>/dev/null || true
  kill "$bus_pid"; wait "$bus_pid" 2>/dev/null || true
  printf '%s\t%s\t%s\n' "$1" "$rss" "$(cut -d' ' -f1 /proc/loadavg)" | tee -a "$work/idle.tsv" >&2
}

: >"$work/raw.tsv"; : >"$work/random.tsv"; : >"$work/idle.tsv"; : >"$work/reads-4k.txt"
load_start=$(cut -d' ' -f1-3 /proc/loadavg)
echo "# raw: latency server round MB/s cpu_all cpu_server cpu_nginx cpu_client cpu_proxy (s/GiB) requests/GiB peakRSS load1 gc_pause_ms/GiB" >&2
for round in $(seq "$rounds"); do
  for lat in $latencies; do
    # Through the proxy this machine's two cores are the limit (ours kept 1.7-2 of them busy, curl 1.5-1.7), and a
    # read's MB/s varies by a fifth from one to the next: ours and curl read LATENCY_REPEAT times a round, in turn. nbdkit reads once:
    # its MB/s there is set by its 4 KiB requests' round trips (within a few per cent from round to round), and a read
    # costs it half a minute.
    for rep in $(seq "$([ "$lat" = 0 ] && echo 1 || echo "${LATENCY_REPEAT:-3}")"); do
      for name in $servers curl; do
        [ "$name" = nbdkit-file ] || [ -n "${RANDOM_ONLY:-}" ] && continue
        [ "$rep" -gt 1 ] && [[ "$name" == nbdkit* ]] && continue
        read_once "$lat" "$name" "$round"
      done
    done
  done
  if [ -z "${QUICK:-}" ]; then
    order=($servers nbdkit-file)
    repeat=${RANDOM_REPEAT:-1}
    for rep in $(seq "$repeat"); do
      # The seed (offsets read) is the same for every server of a run; the first server is another each run.
      seed=$([ "$repeat" = 1 ] && echo "$round" || echo "$((round * 100 + rep))")
      for k in "${!order[@]}"; do random_once "${order[$(((k + round + rep) % ${#order[@]}))]}" "$seed"; done
    done
    idle_once "$round"
  fi
done
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the table: medians over rounds ----
med() { sort -g | awk '{a[NR]=$1} END {if (NR) print a[int((NR+1)/2)]; else print "-"}'; }
get() { awk -F'\t' -v l="$1" -v n="$2" -v c="$3" '$1==l && $2==n {print $c}' "$work/raw.tsv" | med; }
getr() { awk -F'\t' -v n="$1" -v c="$2" '$1==n {print $c}' "$work/random.tsv" | med; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else print "-" }'; }
cols=(); for name in $servers; do [ "$name" = nbdkit-file ] || cols+=("$name"); done
first=${cols[0]}
hdr() { printf '| %-30s |' metric; for c in "${cols[@]}" curl; do printf ' %9s |' "$c"; done; printf ' %s/nbdkit | %s/curl |\n' "$first" "$first"; }
line() { # label values... (one per column incl. curl)
  local label=$1; shift
  local vals=("$@") nb="-" cu="${vals[-1]}" i
  for i in "${!cols[@]}"; do [ "${cols[$i]}" = nbdkit ] && nb=${vals[$i]}; done
  printf '| %-30s |' "$label"; for v in "${vals[@]}"; do printf ' %9s |' "$v"; done
  printf ' %9s | %7s |\n' "$(ratio "${vals[0]}" "$nb")" "$(ratio "${vals[0]}" "$cu")"
}
printf '\nNBD export benchmark: fresh server per read, %s interleaved rounds (medians; through the proxy %s reads a round but nbdkit; random reads: %s runs per server), %s cores, load average %s at start, %s at end\n' \
  "$rounds" "${LATENCY_REPEAT:-3}" "$((rounds * ${RANDOM_REPEAT:-1}))" "$(nproc)" "$load_start" "$load_end"
printf 'client: nbdcopy %s\n' "${NBDCOPY_ARGS:-(defaults)}"
printf 'images: %s MiB at loopback' "$size_mib"; for lat in $latencies; do [ "$lat" = 0 ] || printf ', %s MiB at %s ms' "$(image_mib "$lat")" "$lat"; done; printf '\n\n'
hdr
printf '|%s|' '--------------------------------'; for c in "${cols[@]}" curl; do printf '%s|' '-----------'; done; printf '%s|%s|\n' '-------------' '-----------'
for lat in $([ -n "${RANDOM_ONLY:-}" ] || echo "$latencies"); do
  l=$([ "$lat" = 0 ] && echo loopback || echo "${lat} ms RTT")
  line "MB/s, $l" $(for c in "${cols[@]}" curl; do get "$lat" "$c" 4; done)
  line "CPU s/GiB all, $l" $(for c in "${cols[@]}" curl; do get "$lat" "$c" 5; done)
  line "CPU s/GiB server, $l" $(for c in "${cols[@]}" curl; do get "$lat" "$c" 6; done)
  line "HTTP requests/GiB, $l" $(for c in "${cols[@]}" curl; do get "$lat" "$c" 10; done)
  line "peak RSS MiB, $l" $(for c in "${cols[@]}"; do get "$lat" "$c" 11; done) -
  line "GC pause ms/GiB, $l" $(for c in "${cols[@]}"; do get "$lat" "$c" 13; done) -
done
if [ -s "$work/random.tsv" ]; then
  # random.tsv's column of each row (9 is the load average)
  for row in "3 random 4 KiB p50 ms" "4 random 4 KiB p99 ms" "10 random 4 KiB first 4 reads ms" \
    "11 random 4 KiB p99 after them ms" "5 random 1 MiB p50 ms" "6 random 1 MiB p99 ms" "7 cached 4 KiB re-read p50 ms" \
    "8 cached 4 KiB re-read p99 ms" "12 random 4 KiB p99 in bursts ms" "13 4 KiB first 4 of a burst ms"; do
    i=${row%% *}; label=${row#* }
    printf '%s (nbdkit-file %s)\n' "$(line "$label" $(for c in "${cols[@]}"; do getr "$c" "$i"; done) -)" "$(getr nbdkit-file "$i")"
  done
  printf '| %-30s | %9s | (native binary, four slots, nothing mounted)\n' "idle RSS MiB, service" "$(awk -F'\t' '{print $2}' "$work/idle.tsv" | med)"
fi
