# apt-install.sh — sourced by bootstrap.sh and samba-ad.sh; run as root.
# apt_install PKG...: without letting package scripts start system daemons on public ports,
# with package lists refreshed when older than a day, and one retry after an update.
apt_install() {
  local made_policy=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d; made_policy=1; fi
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mtime -1 2>/dev/null | head -n 1)" ]; then apt-get update -q >&2 || true; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 ||
    { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2; } || rc=$?
  [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
  return $rc
}
