#!/usr/bin/env bash
# bootstrap.sh — installs what syncdesk needs on a fresh Debian 12 machine, idempotently.
#   bootstrap.sh demo   Node 22 LTS, npm packages + redis-server (the embedded Redis of `syncdesk demo`)
#   bootstrap.sh test   Node 22 LTS, npm packages + redis-server (and redis-cli), dovecot-imapd, RT 5, samba (AD DC), chromium, w3m, html2text, lynx, elinks and links for the tests
# Run as root (apt-get); as another user, missing Debian packages are only reported.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
mode=${1:-demo}

log() { printf '[bootstrap] %s\n' "$*" >&2; }
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# The supported Node first: the npm packages below are installed with it.
# shellcheck source=scripts/node-lts.sh
source scripts/node-lts.sh
ensure_node

# npm packages: install when node_modules is missing or older than the lockfile. `npm install`
# (which follows package-lock.json) rather than `npm ci`: ci refuses a lockfile that lacks the
# optional prebuilt binaries of other platforms, which a registry mirror may not carry.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm install --no-audit --no-fund --loglevel=error
fi

service_pkgs=(redis-server)
other_pkgs=()
if [ "$mode" = test ]; then
  service_pkgs+=(dovecot-imapd openssl curl request-tracker5 rt5-db-sqlite rt5-standalone)
  # redis-cli builds the 3-master Redis Cluster of test/redis/ (scripts/redis-cluster.sh); it comes with redis-server, named here so its absence is reported
  other_pkgs+=(redis-tools)
  # the Samba AD DC of the on-premises lookup tests (scripts/samba-ad.sh)
  other_pkgs+=(samba samba-ad-provision samba-dsdb-modules samba-vfs-modules)
  other_pkgs+=(chromium)
  # w3m, html2text, lynx, elinks and links render the HTML fixtures as mutt shows HTML mail (test/parse/text-dumps.test.ts)
  other_pkgs+=(w3m html2text lynx elinks links)
fi
missing=()
for p in "${service_pkgs[@]}" "${other_pkgs[@]}"; do installed "$p" || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  log "missing Debian packages: ${missing[*]} (as root: apt-get install ${missing[*]})"
  exit 1
fi

log "installing Debian packages: ${missing[*]}"
# shellcheck source=scripts/apt-install.sh
source scripts/apt-install.sh
if [ "$mode" = test ]; then
  # services.sh knows RT's debconf answers (Redis, Dovecot and RT 5 in one go)
  E2E_STATE_DIR=${E2E_STATE_DIR:-/var/tmp/syncdesk-bootstrap} bash scripts/services.sh install
fi
rest=()
for p in "${service_pkgs[@]}" "${other_pkgs[@]}"; do installed "$p" || rest+=("$p"); done
[ ${#rest[@]} -eq 0 ] || apt_install "${rest[@]}"
