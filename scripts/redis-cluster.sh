#!/usr/bin/env bash
# redis-cluster.sh — a throw-away Redis Cluster of three masters on 127.0.0.1, for the tests that
# prove every Redis operation of syncdesk is slot-safe (test/helpers/redis-cluster.ts).
#
#   redis-cluster.sh start DIR PORT1 PORT2 PORT3   start three cluster-enabled redis-servers with
#                                                   their data in DIR/<port>, create the cluster
#                                                   (once; no replicas), wait for cluster_state:ok;
#                                                   prints KEY=value lines. A port may be written
#                                                   PORT:BUSPORT to choose the cluster bus port
#                                                   (default PORT+10000)
#   redis-cluster.sh stop DIR [PORT...]            stop the servers started from DIR (all when no
#                                                   port is named), by the PIDs in their PID files
#
# Everything listens on 127.0.0.1 only, with no password (`protected-mode no` is not needed on
# loopback). Each node also listens on its cluster bus port (PORT+10000 unless given), which
# must be free too.
# redis-cli comes with redis-server (Debian redis-tools, a dependency of redis-server).
set -euo pipefail

HOST=127.0.0.1
log() { printf '[redis-cluster] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
port_open() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
# pid_of DIR PORT: the PID in the node's PID file if that process is alive and is a redis-server
pid_of() {
  local f=$1/$2/redis.pid pid
  [ -s "$f" ] || return 1
  pid=$(tr -dc '0-9' < "$f")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  [[ $(cat "/proc/$pid/comm" 2>/dev/null) == redis-server* ]] || return 1
  echo "$pid"
}
cli() { redis-cli -h "$HOST" -p "$1" "${@:2}"; }

start_node() {
  local dir=$1 port=$2 bus=$3 d=$1/$2 i
  pid_of "$dir" "$port" > /dev/null && return 0
  port_open "$port" && die "127.0.0.1:$port is already in use by another process"
  [ "$bus" -le 65535 ] || die "cluster bus port $bus of node $port is above 65535: name one (PORT:BUSPORT)"
  mkdir -p "$d"
  cat > "$d/redis.conf" <<EOF
bind $HOST
port $port
cluster-port $bus
dir $d
cluster-enabled yes
cluster-config-file $d/nodes.conf
cluster-node-timeout 5000
appendonly yes
appendfsync everysec
save ""
daemonize yes
pidfile $d/redis.pid
logfile $d/redis.log
EOF
  redis-server "$d/redis.conf"
  for i in $(seq 1 100); do
    [ "$(cli "$port" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  tail -20 "$d/redis.log" >&2 || true
  die "redis-server on port $port did not answer in 10 s"
}

cluster_ok() { cli "$1" cluster info 2>/dev/null | tr -d '\r' | grep -qx 'cluster_state:ok'; }

cmd_start() {
  local dir=${1:?usage: redis-cluster.sh start DIR PORT1 PORT2 PORT3}
  shift
  [ $# -eq 3 ] || die "usage: redis-cluster.sh start DIR PORT1 PORT2 PORT3"
  command -v redis-server > /dev/null && command -v redis-cli > /dev/null ||
    die "redis-server and redis-cli are missing (as root: apt-get install redis-server)"
  dir=$(realpath -m "$dir")
  local t0=$SECONDS p i spec
  local ports=()
  for spec in "$@"; do
    [[ $spec =~ ^([0-9]+)(:([0-9]+))?$ ]] || die "not a port: $spec"
    p=${BASH_REMATCH[1]}
    ports+=("$p")
    start_node "$dir" "$p" "${BASH_REMATCH[3]:-$((p + 10000))}"
  done
  set -- "${ports[@]}"
  # a node that knows only itself (no other known node) has not been joined into a cluster yet
  if [ "$(cli "$1" cluster info | tr -d '\r' | sed -n 's/^cluster_known_nodes://p')" != 3 ]; then
    redis-cli --cluster create "$HOST:$1" "$HOST:$2" "$HOST:$3" --cluster-replicas 0 --cluster-yes > "$dir/create.log" 2>&1 ||
      { tail -20 "$dir/create.log" >&2; die "redis-cli --cluster create failed"; }
  fi
  for i in $(seq 1 300); do
    cluster_ok "$1" && cluster_ok "$2" && cluster_ok "$3" && break
    sleep 0.1
  done
  for p in "$@"; do cluster_ok "$p" || die "node $p: cluster_state is not ok after 30 s"; done
  log "3 masters on $HOST:$1,$2,$3 ready in $((SECONDS - t0)) s (data in $dir)"
  echo "REDIS_CLUSTER_NODES=$HOST:$1,$HOST:$2,$HOST:$3"
  echo "REDIS_CLUSTER_PIDS=$(for p in "$@"; do pid_of "$dir" "$p"; done | paste -sd, -)"
}

cmd_stop() {
  local dir=${1:?usage: redis-cluster.sh stop DIR [PORT...]} ports p pid i
  shift
  dir=$(realpath -m "$dir")
  [ -d "$dir" ] || return 0
  if [ $# -gt 0 ]; then ports=("$@"); else mapfile -t ports < <(find "$dir" -mindepth 1 -maxdepth 1 -type d -regex '.*/[0-9]+' -printf '%f\n'); fi
  for p in "${ports[@]}"; do
    pid=$(pid_of "$dir" "$p") || continue
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then log "node $p (PID $pid) still alive after 10 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; fi
    rm -f "$dir/$p/redis.pid"
  done
}

case ${1:-} in
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) echo "usage: $0 start DIR PORT1 PORT2 PORT3 | stop DIR [PORT...]" >&2; exit 2 ;;
esac
