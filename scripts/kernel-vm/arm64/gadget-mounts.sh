# Guest script (busybox sh): the arm64 service on the real gadget chain (configfs, dummy_hcd, nbd, nbd-client)
# mounts one image in legacy mode (Legacy.Mount sbv with i -1) and one in proxy mode (serve stands in for bmcweb);
# each time the host side must read the image byte for byte, and lose it after Unmount.
# usage: sh gadget-mounts.sh SERVICE_BINARY RESULTS_DIR   (leaves RESULTS_DIR/<case>.pass or .fail with its log)
service=$1 results=$2
VM=xyz.openbmc_project.VirtualMedia P=/xyz/openbmc_project/VirtualMedia
stamp() { echo "VM-TIME $1 $(cut -d' ' -f1 /proc/uptime)"; }
call() { dbus-send --system --print-reply --reply-timeout=120000 --dest=$VM "$@"; }
active() { call "$1" org.freedesktop.DBus.Properties.Get string:$VM.Process string:Active | grep -q "boolean true"; }
inactive() { ! active "$1"; }
# Waits (0.2 s steps, at most 60 s) until the command succeeds.
until_() { n=0; while ! "$@"; do n=$((n + 1)); [ $n -gt 300 ] && return 1; sleep 0.2; done; }
# The host side of the gadget: the sha256 of the one USB disk with a size, or "none".
host_view() {
  for b in /sys/class/block/sd*; do
    # A disk may vanish between the glob and the read: then it has no size.
    [ "$(cat "$b/size" 2>/dev/null || echo 0)" -gt 0 ] && { dd if="/dev/${b##*/}" bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1; return; }
  done
  echo none
}
no_media() { [ "$(host_view)" = none ]; }
has_media() { ! no_media; }

# check_case NAME SLOT_PATH INTERFACE IMAGE MOUNT-COMMAND...
check_case() {
  name=$1 path=$2 interface=$3 image=$4; shift 4
  log="$results/$name.log"
  {
    want=$(sha256sum "$image" | cut -d' ' -f1)
    "$@" && until_ active "$path" && until_ has_media && got=$(host_view) && echo "host reads $got, image is $want" &&
      [ "$got" = "$want" ] && call "$path" "$VM.$interface.Unmount" && until_ no_media && until_ inactive "$path"
  } >"$log" 2>&1
  if [ $? -eq 0 ]; then mv "$log" "$results/$name.pass"; else mv "$log" "$results/$name.fail"; fi
  stamp "$name"
}

mkdir -p /run/dbus /tmp/images && mkdir -m 0700 -p /run/virtual-media
cat >/tmp/bus.conf <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=/run/dbus/system_bus_socket</listen><auth>EXTERNAL</auth>
<policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy></busconfig>
CONF
cat >/tmp/virtual-media.json <<CONF
{ "InactivityTimeout": 1800, "ImageDirectory": "/tmp/images", "MountPoints": {
  "Slot_0": { "EndpointId": "/nbd/0", "Mode": 0, "NBDDevice": "nbd0", "UnixSocket": "/run/virtual-media/nbd0.sock", "Timeout": 30, "BlockSize": 512 },
  "Slot_1": { "EndpointId": "", "Mode": 1, "NBDDevice": "nbd1", "UnixSocket": "/run/virtual-media/nbd1.sock", "Timeout": 30, "BlockSize": 512 } } }
CONF
dd if=/dev/urandom of=/tmp/images/legacy.img bs=1M count=8 2>/dev/null
dd if=/dev/urandom of=/tmp/images/proxy.img bs=1M count=8 2>/dev/null
dbus-daemon --config-file=/tmp/bus.conf --fork --nopidfile || exit 10
"$service" --config /tmp/virtual-media.json >"$results/service.log" 2>&1 &
until_ grep -q "Serving 2 slots" "$results/service.log" 2>/dev/null || { cat "$results/service.log"; exit 11; }
stamp service

check_case legacy "$P/Legacy/Slot_1" Legacy /tmp/images/legacy.img \
  call "$P/Legacy/Slot_1" "$VM.Legacy.Mount" string:file:///tmp/images/legacy.img boolean:false variant:int32:-1
"$service" serve file:///tmp/images/proxy.img --image-dir /tmp/images --socket /run/virtual-media/nbd0.sock \
  >"$results/serve.log" 2>&1 &
until_ test -S /run/virtual-media/nbd0.sock
check_case proxy "$P/Proxy/Slot_0" Proxy /tmp/images/proxy.img call "$P/Proxy/Slot_0" "$VM.Proxy.Mount"
kill %1 %2
wait
