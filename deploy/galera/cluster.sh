#!/usr/bin/env bash
# A 3-node MariaDB Galera cluster on loopback, from Debian's packages (mariadb-server, galera-4,
# mariadb-backup and socat for state transfers). Each node has its own directory, socket and
# ports; nothing is shared with a system MariaDB.
#
#   cluster.sh start DIR          start every node that is not running and wait until each is
#                                 Synced (a new or fully stopped cluster is bootstrapped first)
#   cluster.sh stop DIR           stop every node (clean shutdown, one after the other)
#   cluster.sh start-node DIR N   start node N (1..3) and wait until it is Synced
#   cluster.sh stop-node DIR N    stop node N cleanly (the others go on as a cluster of two)
#   cluster.sh kill-node DIR N    kill -9 node N
#   cluster.sh status DIR         one line per node: address, state, cluster size
#   cluster.sh sql DIR N SQL      run SQL as root on node N (over its socket; tab-separated)
#   cluster.sh socket DIR N       print node N's socket path
#
# Ports are chosen once, on the first start, and kept in DIR/cluster.env: SQL ports from
# IMP_GALERA_SQL_PORTS (default 3321,3322,3323); the replication (gcomm), incremental (IST) and
# snapshot (SST) transfer ports from IMP_GALERA_GCOMM_PORTS (4571,4572,4573),
# IMP_GALERA_IST_PORTS (4581,...) and IMP_GALERA_SST_PORTS (4591,...). IMP_GALERA_PORTS=free picks
# twelve free ports instead (tests), below the kernel's ephemeral range (tests/support/free_port.py),
# and a node that fails to start because one of its ports is in use after all (its error.log says
# "Address already in use") gets four new ports and starts again, up to 5 times.
#
# Root authenticates only over each node's socket (unix_socket, as deploy/mariadb.sh does for the
# single server): no root account exists for TCP. State transfers (mariabackup) run as root over
# the donor's socket.
#
# A node killed with -9 comes back with its data: its last committed position is recovered from
# InnoDB first (mariadbd --wsrep-recover), so it rejoins by an incremental transfer (IST) of what
# it missed, within seconds; a node with no usable data gets a full snapshot (SST, mariabackup).
set -euo pipefail

cmd=${1:?usage: cluster.sh start|stop|start-node|stop-node|kill-node|status|sql|socket DIR [N] [SQL]}
dir=$(realpath -m "${2:?cluster directory required}")
NODES=(1 2 3)
MARIADBD=$(command -v mariadbd 2>/dev/null || echo /usr/sbin/mariadbd)
INSTALL_DB=$(command -v mariadb-install-db 2>/dev/null || echo /usr/bin/mariadb-install-db)
PROVIDER=/usr/lib/galera/libgalera_smm.so

# COUNT distinct free loopback ports, space-separated, below the ephemeral range (an outgoing
# connection cannot take one before the node binds it).
FREE_PORT_PY="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/support/free_port.py"
pick_free_ports() { python3 "$FREE_PORT_PY" "$1"; }

load_config() {
  mkdir -p "$dir"
  if [ ! -f "$dir/cluster.env" ]; then
    local sql gcomm ist sst
    FREE_PORTS=0
    if [ "${IMP_GALERA_PORTS:-}" = free ]; then
      FREE_PORTS=1
      local picked
      picked=$(pick_free_ports 12)
      read -r -a free <<<"$picked"
      sql="${free[0]},${free[1]},${free[2]}" gcomm="${free[3]},${free[4]},${free[5]}"
      ist="${free[6]},${free[7]},${free[8]}" sst="${free[9]},${free[10]},${free[11]}"
    else
      sql=${IMP_GALERA_SQL_PORTS:-3321,3322,3323}
      gcomm=${IMP_GALERA_GCOMM_PORTS:-4571,4572,4573}
      ist=${IMP_GALERA_IST_PORTS:-4581,4582,4583}
      sst=${IMP_GALERA_SST_PORTS:-4591,4592,4593}
    fi
    printf 'SQL_PORTS=%s\nGCOMM_PORTS=%s\nIST_PORTS=%s\nSST_PORTS=%s\nCLUSTER_NAME=%s\nFREE_PORTS=%s\n' \
      "$sql" "$gcomm" "$ist" "$sst" "${IMP_GALERA_CLUSTER_NAME:-imp}" "$FREE_PORTS" >"$dir/cluster.env"
  fi
  FREE_PORTS=0
  # shellcheck disable=SC1091
  source "$dir/cluster.env"
  IFS=, read -r -a SQL <<<"$SQL_PORTS"
  IFS=, read -r -a GCOMM <<<"$GCOMM_PORTS"
  IFS=, read -r -a IST <<<"$IST_PORTS"
  IFS=, read -r -a SST <<<"$SST_PORTS"
}

# Node N's four ports replaced by newly picked free ones (IMP_GALERA_PORTS=free only).
repick_ports() {  # N
  local i=$(($1 - 1)) picked new
  picked=$(pick_free_ports 4)
  read -r -a new <<<"$picked"
  echo "galera: node $1: a port was in use (SQL/gcomm/IST/SST ${SQL[$i]}/${GCOMM[$i]}/${IST[$i]}/${SST[$i]}); retrying on ${new[*]}" >&2
  SQL[$i]=${new[0]} GCOMM[$i]=${new[1]} IST[$i]=${new[2]} SST[$i]=${new[3]}
  local IFS=,
  printf 'SQL_PORTS=%s\nGCOMM_PORTS=%s\nIST_PORTS=%s\nSST_PORTS=%s\nCLUSTER_NAME=%s\nFREE_PORTS=%s\n' \
    "${SQL[*]}" "${GCOMM[*]}" "${IST[*]}" "${SST[*]}" "$CLUSTER_NAME" "$FREE_PORTS" >"$dir/cluster.env"
}

node_dir() { echo "$dir/node$1"; }
sock() { echo "$(node_dir "$1")/mysqld.sock"; }
pidfile() { echo "$(node_dir "$1")/mysqld.pid"; }
running() { [ -f "$(pidfile "$1")" ] && kill -0 "$(cat "$(pidfile "$1")")" 2>/dev/null; }
# The server writes its pid file in two steps (create, then write), so a read between them sees an
# empty file: only a pid that is written and gone means the server has exited.
exited() {  # N
  local pid
  pid=$(cat "$(pidfile "$1")" 2>/dev/null || true)
  [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null
}
# The administrator: root (or the OS user running this, when not root: mariadb-install-db gives
# that user a unix_socket account too), over the socket only.
ADMIN=$(id -un)
sql() { mariadb --no-defaults --socket="$(sock "$1")" -u"$ADMIN" -N -B -e "$2"; }
status_var() { sql "$1" "SHOW STATUS LIKE '$2'" 2>/dev/null | cut -f2; }

# Node N's configuration file. A file, not command-line flags: the state transfer scripts read
# their settings ([sst], [mariabackup]) from the server's --defaults-file.
write_config() {  # N CLUSTER_ADDRESS
  local n=$1 address=$2 i=$(($1 - 1)) d
  d=$(node_dir "$n")
  mkdir -p "$d/data" "$d/tmp"
  cat >"$d/my.cnf" <<CNF
[mysqld]
datadir=$d/data
user=$(id -un)
port=${SQL[$i]}
bind-address=127.0.0.1
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
tmpdir=$d/tmp
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
innodb-buffer-pool-size=128M
innodb-flush-log-at-trx-commit=1
max-connections=500
# Galera: row-based replication, interleaved auto-increment (ids are unique across nodes, not in
# commit order), and the node's own replication, IST and SST addresses.
binlog-format=ROW
innodb-autoinc-lock-mode=2
wsrep-on=ON
wsrep-provider=$PROVIDER
wsrep-cluster-name=$CLUSTER_NAME
wsrep-cluster-address=$address
wsrep-node-name=node$n
wsrep-node-address=127.0.0.1:${GCOMM[$i]}
wsrep-provider-options=gmcast.listen_addr=tcp://127.0.0.1:${GCOMM[$i]};ist.recv_addr=127.0.0.1:${IST[$i]}
wsrep-sst-method=mariabackup
wsrep-sst-auth=$ADMIN:
wsrep-sst-receive-address=127.0.0.1:${SST[$i]}
[sst]
# Transfer logs stay in the data directory (not syslog, not /tmp/sst_log_archive).
sst-syslog=-1
sst-log-archive=0
[mariabackup]
socket=$d/mysqld.sock
CNF
}

others_address() {  # N: gcomm:// address of the two other nodes
  local n=$1 k list=""
  for k in "${NODES[@]}"; do
    [ "$k" = "$n" ] || list="$list,127.0.0.1:${GCOMM[$((k - 1))]}"
  done
  echo "gcomm://${list#,}"
}

initialise() {  # N: a fresh data directory (its content comes from the cluster by SST)
  local d
  d=$(node_dir "$1")
  [ -d "$d/data/mysql" ] && return 0
  for attempt in 1 2; do
    if "$INSTALL_DB" --defaults-file="$d/my.cnf" --auth-root-authentication-method=socket \
      --skip-test-db >"$d/install.log" 2>&1; then
      return 0
    fi
    [ "$attempt" = 2 ] && { cat "$d/install.log" >&2; exit 1; }
    rm -rf "$d/data"
    mkdir -p "$d/data"
    sleep 1
  done
}

grastate() {  # N KEY: a field of the node's saved Galera state
  sed -n "s/^$2:[[:space:]]*//p" "$(node_dir "$1")/data/grastate.dat" 2>/dev/null || true
}

# After a crash the saved state says seqno -1 (unknown) and a plain restart would take a full
# snapshot. The position InnoDB committed last is recovered instead, so the node asks for an
# incremental transfer of what it missed.
recover_position() {  # N: prints uuid:seqno, or nothing
  local d
  d=$(node_dir "$1")
  [ -f "$d/data/grastate.dat" ] || return 0
  [ "$(grastate "$1" seqno)" = "-1" ] || return 0
  "$MARIADBD" --defaults-file="$d/my.cnf" --wsrep-recover --log-error="$d/recover.log" \
    </dev/null >/dev/null 2>&1 || true
  sed -n 's/.*WSREP: Recovered position: \([0-9a-f-]*:-\{0,1\}[0-9]*\).*/\1/p' "$d/recover.log" \
    | tail -1
}

launch() {  # N CLUSTER_ADDRESS [EXTRA FLAG]
  local n=$1 address=$2 extra=${3:-} d position
  d=$(node_dir "$n")
  write_config "$n" "$address"
  initialise "$n"
  position=$(recover_position "$n")
  local flags=()
  [ -n "$position" ] && flags+=("--wsrep-start-position=$position")
  [ -n "$extra" ] && flags+=("$extra")
  rm -f "$d/mysqld.sock" "$d/mysqld.pid"
  # Where this start's part of the error log begins, and the server's pid: wait_synced stops
  # waiting as soon as it has exited, and port_taken reads why.
  LOG_FROM[$n]=$(stat -c %s "$d/error.log" 2>/dev/null || echo 0)
  "$MARIADBD" --defaults-file="$d/my.cnf" "${flags[@]}" </dev/null >/dev/null 2>&1 &
  LAUNCHED[$n]=$!
}
declare -A LOG_FROM LAUNCHED

port_taken() {  # N: this start of node N failed on a port in use (its SQL port, gcomm, IST or SST)
  tail -c +$((${LOG_FROM[$1]:-0} + 1)) "$(node_dir "$1")/error.log" 2>/dev/null \
    | grep -q 'Address already in use'
}

wait_synced() {  # N [TIMEOUT_SECONDS]: returns 1 (after printing why) when it is not Synced
  local n=$1 limit=$((${2:-300} * 10)) state=""
  for _ in $(seq 1 "$limit"); do
    state=$(status_var "$n" wsrep_local_state_comment || true)
    [ "$state" = Synced ] && return 0
    if exited "$n"; then break; fi
    if [ -n "${LAUNCHED[$n]:-}" ] && ! kill -0 "${LAUNCHED[$n]}" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "galera: node $n is not Synced (state: ${state:-down}); see $(node_dir "$n")/error.log:" >&2
  tail -20 "$(node_dir "$n")/error.log" >&2 || true
  return 1
}

# A joiner that aborted leaves its state transfer script behind (with a socat listener that waits
# up to 300 s for data), and the next start of that node waits for it to end, then fails: end it.
kill_tree() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$c"; done; kill -9 "$1" 2>/dev/null || true; }
kill_leftover_sst() {  # N
  local f
  f="$(node_dir "$1")/data/wsrep_sst.pid"
  [ -f "$f" ] || return 0
  kill_tree "$(cat "$f")"
  rm -f "$f"
}

# Waits until node N (launched by the caller) is Synced; a start that failed on a port in use is
# launched again on new ports (free ports only). Exits when the node does not come up.
# MODE: join (the other nodes' address) or bootstrap (a new cluster from this node).
synced_or_retry() {  # N MODE
  local n=$1 mode=$2 attempt
  for attempt in 1 2 3 4 5; do
    wait_synced "$n" && return 0
    { [ "$FREE_PORTS" = 1 ] && [ "$attempt" -lt 5 ] && port_taken "$n"; } || exit 1
    if kill -0 "${LAUNCHED[$n]}" 2>/dev/null; then exit 1; fi  # still up: not a failed bind
    kill_leftover_sst "$n"
    repick_ports "$n"
    if [ "$mode" = bootstrap ]; then
      launch "$n" "gcomm://" --wsrep-new-cluster
    else
      launch "$n" "$(others_address "$n")"
    fi
  done
}

# Which node starts a cluster when none is running: the one Galera marked safe to bootstrap (the
# last to stop cleanly), else the one with the highest recovered position (all crashed).
bootstrap_node() {
  local n best="" best_seqno=-2 seqno position
  for n in "${NODES[@]}"; do
    [ -d "$(node_dir "$n")/data/mysql" ] || continue
    if [ "$(grastate "$n" safe_to_bootstrap)" = 1 ]; then echo "$n"; return; fi
  done
  for n in "${NODES[@]}"; do
    [ -d "$(node_dir "$n")/data/mysql" ] || continue
    write_config "$n" "$(others_address "$n")"
    seqno=$(grastate "$n" seqno)
    if [ "$seqno" = "-1" ]; then
      position=$(recover_position "$n")
      seqno=${position##*:}
    fi
    if [ -n "$seqno" ] && [ "$seqno" -gt "$best_seqno" ]; then best=$n best_seqno=$seqno; fi
  done
  if [ -n "$best" ]; then
    sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$(node_dir "$best")/data/grastate.dat"
    echo "$best"
  else
    echo 1  # a new cluster
  fi
}

# As deploy/mariadb.sh does on the single server: no root account for TCP, no anonymous account,
# root@localhost by unix_socket only. Account changes replicate, so one node is enough.
harden() {  # N
  local drops
  drops=$(sql "$1" "SELECT CONCAT('DROP USER ', QUOTE(User), '@', QUOTE(Host), ';')
    FROM mysql.user WHERE User = '' OR (User = 'root' AND Host <> 'localhost')")
  sql "$1" "$drops ALTER USER IF EXISTS 'root'@'localhost' IDENTIFIED VIA unix_socket;"
}

start_node() {  # N
  local n=$1 k any=0
  running "$n" && return 0
  for k in "${NODES[@]}"; do running "$k" && any=1; done
  if [ "$any" = 0 ]; then
    echo "galera: no node is running: start the cluster with 'cluster.sh start'" >&2
    exit 1
  fi
  launch "$n" "$(others_address "$n")"
  synced_or_retry "$n" join
}

case "$cmd" in
  start)
    load_config
    any=0
    for n in "${NODES[@]}"; do running "$n" && any=1; done
    if [ "$any" = 0 ]; then
      first=$(bootstrap_node)
      launch "$first" "gcomm://" --wsrep-new-cluster
      synced_or_retry "$first" bootstrap
    fi
    for n in "${NODES[@]}"; do running "$n" || launch "$n" "$(others_address "$n")"; done
    for n in "${NODES[@]}"; do synced_or_retry "$n" join; done
    harden 1
    ;;
  stop)
    load_config
    for n in "${NODES[@]}"; do
      running "$n" || continue
      pid=$(cat "$(pidfile "$n")")
      kill "$pid"
      for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    done
    ;;
  start-node)
    load_config
    start_node "${3:?node number required}"
    ;;
  stop-node)
    load_config
    n=${3:?node number required}
    if running "$n"; then
      pid=$(cat "$(pidfile "$n")")
      kill "$pid"
      for _ in $(seq 1 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    ;;
  kill-node)
    load_config
    n=${3:?node number required}
    if running "$n"; then
      pid=$(cat "$(pidfile "$n")")
      kill -9 "$pid"
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    fi
    ;;
  status)
    load_config
    for n in "${NODES[@]}"; do
      if running "$n"; then
        printf 'node%s 127.0.0.1:%s socket %s state %s cluster_size %s\n' "$n" "${SQL[$((n - 1))]}" \
          "$(sock "$n")" "$(status_var "$n" wsrep_local_state_comment)" \
          "$(status_var "$n" wsrep_cluster_size)"
      else
        printf 'node%s 127.0.0.1:%s down\n' "$n" "${SQL[$((n - 1))]}"
      fi
    done
    ;;
  sql)
    load_config
    sql "${3:?node number required}" "${4:?SQL required}"
    ;;
  socket)
    load_config
    sock "${3:?node number required}"
    ;;
  *)
    echo "unknown command $cmd" >&2
    exit 2
    ;;
esac
