# Sourced by the benchmarks (from the repository's root): the configuration of a private "system" bus for the service
# on the sandboxed kernel side, open to every user. sandbox_bus_conf DIR writes DIR/bus.conf, listening on DIR/bus.
sandbox_bus_conf() {
  cat >"$1/bus.conf" <<BUS
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig><type>system</type><listen>unix:path=$1/bus</listen><auth>EXTERNAL</auth>
  <policy context="default"><allow user="*"/><allow own="*"/><allow send_destination="*"/><allow receive_sender="*"/></policy>
</busconfig>
BUS
}
