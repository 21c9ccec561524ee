#!/usr/bin/env bash
# A one-host Slurm cluster for tests and trying things out (root, no systemd): munge, slurmctld
# and slurmd from Debian's packages (slurm-wlm munge), configured by a slurm.conf this script
# writes under STATE_DIR. Nothing under /etc/slurm is touched: clients find the cluster through
# SLURM_CONF, which `env` prints.
#   tools/slurm/cluster.sh start STATE_DIR   # prints "export SLURM_CONF=STATE_DIR/slurm.conf"
#   eval "$(tools/slurm/cluster.sh env STATE_DIR)"; sbatch ...; sinfo
#   tools/slurm/cluster.sh stop STATE_DIR
# BIORNN_SLURM_PORT (default 6817) is slurmctld's port; slurmd uses the next one.
set -euo pipefail

usage() { echo "usage: $0 start|stop|env STATE_DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
state=$(mkdir -p "$2" && cd "$2" && pwd)
conf="$state/slurm.conf"
# slurmd's spool holds Unix sockets, whose paths must stay under 108 bytes: a short one in /tmp.
spool="/tmp/biornn-slurmd-$(printf %s "$state" | md5sum | cut -c1-8)"
port=${BIORNN_SLURM_PORT:-6817}

need() {
  for b in "$@"; do
    command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] ||
      { echo "error: $b not found: apt-get install slurm-wlm munge" >&2; exit 3; }
  done
}

start_munge() {
  if munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then return; fi  # already running
  mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
  [ -f /etc/munge/munge.key ] || mungekey -c
  chown -R munge:munge /etc/munge /run/munge /var/log/munge /var/lib/munge
  chmod 0700 /etc/munge
  su -s /bin/sh munge -c /usr/sbin/munged
  for _ in $(seq 50); do munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return; sleep 0.1; done
  echo "error: munged did not start (see /var/log/munge/munged.log)" >&2
  exit 1
}

write_conf() {
  local host mem
  host=$(hostname -s)
  mem=$(awk '/MemTotal/ { printf "%d", $2 / 1024 * 0.9 }' /proc/meminfo)
  mkdir -p "$state/state" "$spool"
  cat >"$conf" <<CONF
# Written by tools/slurm/cluster.sh for a one-host test cluster.
ClusterName=biornn
SlurmctldHost=$host
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$state/state
SlurmdSpoolDir=$spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/slurmctld.log
SlurmdLogFile=$state/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerParameters=sched_interval=1
KillWait=10
NodeName=$host CPUs=$(nproc) RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  need slurmctld slurmd munged sinfo
  start_munge
  write_conf
  export SLURM_CONF="$conf"
  alive "$state/slurmctld.pid" || /usr/sbin/slurmctld -i
  alive "$state/slurmd.pid" || /usr/sbin/slurmd
  for _ in $(seq 100); do
    if [ "$(sinfo -h -o %T 2>/dev/null | head -1)" = idle ]; then
      echo "export SLURM_CONF=$conf"
      return
    fi
    sleep 0.2
  done
  echo "error: the node did not become idle within 20 s; see $state/slurmctld.log and $state/slurmd.log" >&2
  sinfo >&2 || true
  exit 1
}

stop() {
  for d in slurmd slurmctld; do
    if alive "$state/$d.pid"; then
      local pid
      pid=$(cat "$state/$d.pid")
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
  done
  rm -rf "$spool"
  echo "stopped the cluster in $state (munged keeps running)"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  env) echo "export SLURM_CONF=$conf" ;;
  *) usage ;;
esac
