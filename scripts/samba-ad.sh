#!/usr/bin/env bash
# samba-ad.sh — a throw-away Samba Active Directory domain controller on 127.0.0.1, for the
# on-premises lookup tests (src/resolve/onprem/). Nothing listens beyond loopback.
#
#   samba-ad.sh install        install Debian samba (DC parts) if missing (as root, like bootstrap.sh)
#   samba-ad.sh start DIR      provision into DIR (once, ~10 s), then start samba; prints KEY=value lines
#   samba-ad.sh stop DIR       stop the DC started from DIR
#
# Samba has no setting for its LDAP ports, so the DC listens on the standard 389 (LDAP) and
# 636 (LDAPS) of 127.0.0.1 only (`interfaces = 127.0.0.1`, `bind interfaces only = yes`), and
# only the ldap service runs (no smbd, KDC, DNS or NetBIOS). LDAPS uses a certificate made here
# for 127.0.0.1, so clients verify it with DIR/tls/ca.pem; simple binds need LDAPS by default
# (`ldap server require strong auth = yes`), the same as a real DC, and the tests use LDAPS.
set -euo pipefail

REALM=${SAMBA_AD_REALM:-SYNCDESK.TEST}
DOMAIN=${SAMBA_AD_DOMAIN:-SYNCDESK}
ADMIN_PASS=${SAMBA_AD_ADMIN_PASSWORD:-Syncdesk-Admin-1}
log() { printf '[samba-ad] %s\n' "$*" >&2; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# samba-ad-provision holds the AD schema `domain provision` reads; samba-dsdb-modules and samba-vfs-modules the DC database and sysvol ACL modules
PKGS=(samba samba-ad-provision samba-dsdb-modules samba-vfs-modules)
base_dn() { local dn='' part; IFS=. read -ra parts <<< "$REALM"; for part in "${parts[@]}"; do dn+="${dn:+,}DC=${part,,}"; done; echo "$dn"; }

cmd_install() {
  local missing=() p
  for p in "${PKGS[@]}"; do installed "$p" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ]; then log "missing: ${missing[*]} (as root: apt-get install ${missing[*]})"; return 1; fi
  # shellcheck source=scripts/apt-install.sh
  source "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"
  apt_install "${missing[@]}"
}

make_tls() {
  local d=$1/tls
  [ -s "$d/cert.pem" ] && return 0
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=syncdesk test AD CA' \
    -keyout "$d/ca-key.pem" -out "$d/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout "$d/key.pem" -out "$d/req.pem" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' > "$d/ext.cnf"
  openssl x509 -req -in "$d/req.pem" -CA "$d/ca.pem" -CAkey "$d/ca-key.pem" -CAcreateserial -days 3650 \
    -extfile "$d/ext.cnf" -out "$d/cert.pem" 2>/dev/null
  chmod 600 "$d/key.pem"
}

provision() {
  local dir=$1
  [ -e "$dir/provisioned" ] && return 0
  rm -rf "$dir"; mkdir -p "$dir/run" "$dir/log"
  make_tls "$dir"
  local t0=$SECONDS
  samba-tool domain provision --server-role=dc --dns-backend=NONE --use-rfc2307 \
    --realm="$REALM" --domain="$DOMAIN" --adminpass="$ADMIN_PASS" --host-name=dc1 \
    --targetdir="$dir" \
    --option="interfaces = 127.0.0.1" --option="bind interfaces only = yes" \
    --option="server services = ldap" \
    --option="tls enabled = yes" --option="tls keyfile = $dir/tls/key.pem" \
    --option="tls certfile = $dir/tls/cert.pem" --option="tls cafile = $dir/tls/ca.pem" \
    --option="pid directory = $dir/run" --option="log file = $dir/log/samba.log" \
    >"$dir/provision.log" 2>&1 || { tail -20 "$dir/provision.log" >&2; return 1; }
  touch "$dir/provisioned"
  log "provisioned $REALM in $((SECONDS - t0)) s"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

cmd_start() {
  local dir=${1:?usage: samba-ad.sh start DIR}
  dir=$(realpath -m "$dir")
  cmd_install
  provision "$dir"
  local started=no
  if [ -s "$dir/samba.pid" ] && kill -0 "$(cat "$dir/samba.pid")" 2>/dev/null; then :; else
    started=yes
    if port_open 636 || port_open 389; then log "127.0.0.1:389/636 already in use by another process"; return 1; fi
    # --foreground keeps samba in this process group's child; setsid detaches it from ours
    setsid samba --foreground --no-process-group -s "$dir/etc/smb.conf" >"$dir/log/stdout.log" 2>&1 < /dev/null &
    echo $! > "$dir/samba.pid"
  fi
  local i
  for i in $(seq 1 600); do
    port_open 636 && port_open 389 && break
    kill -0 "$(cat "$dir/samba.pid")" 2>/dev/null || { tail -20 "$dir/log/stdout.log" >&2; return 1; }
    sleep 0.1
  done
  port_open 636 || { log "samba did not open 636 in 60 s"; return 1; }
  cat <<EOF
AD_URL=ldaps://127.0.0.1:636
AD_PLAIN_URL=ldap://127.0.0.1:389
AD_BASE_DN=$(base_dn)
AD_ADMIN_DN=CN=Administrator,CN=Users,$(base_dn)
AD_ADMIN_PASSWORD=$ADMIN_PASS
AD_TLS_CA=$dir/tls/ca.pem
AD_PID=$(cat "$dir/samba.pid")
AD_STARTED=$started
EOF
}

cmd_stop() {
  local dir=${1:?usage: samba-ad.sh stop DIR} pid i
  dir=$(realpath -m "$dir")
  [ -s "$dir/samba.pid" ] || return 0
  pid=$(cat "$dir/samba.pid")
  kill "$pid" 2>/dev/null || { rm -f "$dir/samba.pid"; return 0; }
  for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  # samba's own children (ldap workers) are in its process group
  kill -KILL -- "-$pid" 2>/dev/null || true
  for i in $(seq 1 50); do port_open 636 || port_open 389 || break; sleep 0.1; done
  rm -f "$dir/samba.pid"
}

case ${1:-} in
  install) cmd_install ;;
  start) cmd_start "${2:-}" ;;
  stop) cmd_stop "${2:-}" ;;
  *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
