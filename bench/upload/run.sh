#!/usr/bin/env bash
# Upload transfer benchmark (issue 15): the service on a private bus with the sandboxed kernel side mounts one HTTPS
# image from nginx on loopback, once with TransferMethod Stream and once with Upload, and measures
#   - the copy's throughput (the service's own "copy of … complete: … MB/s" line), and
#   - the host's random 4 KiB read latency (p50/p99, bench/nbd/latency.py) through the slot's NBD device while the
#     copy runs, against the same reads of a streamed mount.
# Run on demand (not in CI): bench/upload/run.sh [SIZE_MIB] [SAMPLES]
# Knobs: OURS (a published binary, scripts/publish; default: the JIT build of VirtualMedia.Service), RATE (nginx
# limit_rate per connection, e.g. 4m, to stand in for a WAN link; default none), ROUNDS (2).
set -euo pipefail
cd "$(dirname "$0")/../.."
size_mib=${1:-1024}
samples=${2:-300}
rounds=${ROUNDS:-2}
repo=$(pwd)
. bench/sandbox-bus.sh

for tool in nginx openssl curl dbus-daemon busctl /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool (scripts/install-deps)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import nbd' || { echo "python3-libnbd missing" >&2; exit 1; }
if [ -n "${OURS:-}" ]; then
  service=("$OURS")
else
  dll="$repo/VirtualMedia.Service/bin/Release/net10.0/VirtualMedia.Service.dll"
  [ -f "$dll" ] || dotnet build VirtualMedia.Service -c Release --nologo -v q >/dev/null
  service=(dotnet "$dll")
fi

work=$(mktemp -d /tmp/vm-upload-bench-XXXXXX)
chmod 700 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "preparing a ${size_mib} MiB image, nginx and the bus..." >&2
mkdir -p "$work/www" "$work/tmp"
head -c "$((size_mib * 1024 * 1024))" /dev/urandom >"$work/www/disk.img"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
rate=""
[ -z "${RATE:-}" ] || rate="limit_rate ${RATE};"
cat >"$work/nginx.conf" <<CONF
daemon off; master_process off; worker_processes 1; user root;
pid $work/nginx.pid; error_log $work/error.log warn;
events { worker_connections 256; }
http {
  access_log off; sendfile on; keepalive_requests 1000000;
  client_body_temp_path $work/tmp; proxy_temp_path $work/tmp; fastcgi_temp_path $work/tmp;
  uwsgi_temp_path $work/tmp; scgi_temp_path $work/tmp;
  server {
    listen 127.0.0.1:$port ssl;
    ssl_certificate $work/cert.pem; ssl_certificate_key $work/key.pem;
    location / { root $work/www; $rate }
  }
}
CONF
nginx -c "$work/nginx.conf" -p "$work" &
pids+=("$!")
url="https://127.0.0.1:$port/disk.img"
for _ in $(seq 50); do curl -ks -o /dev/null "$url" -r 0-0 && break; sleep 0.1; done

sb="$work/sandbox"
mkdir -p "$sb/root/sys/class/udc/udc.0" "$sb/root/sys/class/udc/udc.1" "$sb/images"
mkdir -m 700 -p "$sb/root/run/virtual-media"
sandbox_bus_conf "$sb"
printf '{ "Sandbox": "%s", "ImageDirectory": "%s", "VerifyCertificates": false, "MountPoints": { "Slot_2": { "EndpointId": "", "Mode": 1, "NBDDevice": "nbd2", "UnixSocket": "%s", "Timeout": 30, "BlockSize": 512 } } }\n' \
  "$sb/root" "$sb/images" "$sb/root/run/virtual-media/nbd2.sock" >"$sb/vm.json"
dbus-daemon --config-file="$sb/bus.conf" --nofork --nopidfile 2>/dev/null &
pids+=("$!")
for _ in $(seq 50); do [ -S "$sb/bus" ] && break; sleep 0.1; done
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$sb/bus" "${service[@]}" --config "$sb/vm.json" >"$sb/service.log" 2>&1 &
pids+=("$!")
bus=(busctl --address="unix:path=$sb/bus")
name=xyz.openbmc_project.VirtualMedia
slot=/xyz/openbmc_project/VirtualMedia/Legacy/Slot_2
for _ in $(seq 300); do "${bus[@]}" status "$name" >/dev/null 2>&1 && break; sleep 0.1; done
prop() { "${bus[@]}" get-property "$name" "$slot" "$name.$1" "$2" | awk '{print $2}'; }
host="nbd+unix:///?socket=$sb/root/dev/nbd2.sock"

echo -e "# round\tmethod\tp50_ms\tp99_ms\tcopied_when_done_%\tcopy_MB/s" >&2
for round in $(seq "$rounds"); do
  for method in Stream Upload; do
    "${bus[@]}" set-property "$name" "$slot" "$name.Transfer" Method s "$method"
    lines=$(wc -l <"$sb/service.log")
    "${bus[@]}" call -- "$name" "$slot" "$name.Legacy" Mount sbv "$url" false i -1 >/dev/null
    for _ in $(seq 300); do [ "$(prop Process Active)" = true ] && break; sleep 0.1; done
    read -r p50 p99 < <(/usr/bin/python3 bench/nbd/latency.py "$host" 4096 "$samples" "$round")
    copied="-"
    [ "$method" = Stream ] || copied=$(awk -v c="$(prop Transfer BytesCopied)" -v s="$(prop Transfer Size)" 'BEGIN {printf "%.0f", 100 * c / s}')
    rate_mbs="-"
    if [ "$method" = Upload ]; then
      for _ in $(seq 6000); do [ "$(prop Transfer Complete)" = true ] && break; sleep 0.1; done
      rate_mbs=$(tail -n +"$((lines + 1))" "$sb/service.log" | sed -n 's/.*copy of .* complete: .*(\([0-9.]*\) MB\/s).*/\1/p' | tail -1)
    fi
    "${bus[@]}" call "$name" "$slot" "$name.Legacy" Unmount >/dev/null
    for _ in $(seq 300); do [ "$(prop Process Active)" = false ] && break; sleep 0.1; done
    echo -e "$round\t$method\t$p50\t$p99\t$copied\t$rate_mbs"
  done
done
leftover=$(find "$sb/images" -name '.upload-*' | wc -l)
echo "copies left in ImageDirectory after the unmounts: $leftover" >&2
