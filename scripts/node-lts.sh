# node-lts.sh — sourced by bootstrap.sh.
# ensure_node: syncdesk runs on Node 22 LTS or later (`engines`). Debian 12's own nodejs is 18
# and many machines carry 20, both past end of life. As root, an older Node gets Node 22
# beside it: the official binaries as the npm registry carries them (node-linux-<arch>, the
# packages behind `npm install node`), unpacked under /usr/local/lib and linked as
# /usr/local/bin/node, which comes before /usr/bin on PATH. The distribution's own node is
# left as it is. As another user, an old Node is only reported: npm warns and carries on.
NODE_LTS_MAJOR=22

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  [ "$(node_major)" -ge "$NODE_LTS_MAJOR" ] && return 0
  if [ "$(id -u)" != 0 ]; then
    log "Node $(node -v 2>/dev/null) is past its end of life; syncdesk supports Node $NODE_LTS_MAJOR or later (as root, bootstrap installs it)"
    return 0
  fi
  local arch dest tmp
  arch=$(node -p process.arch)
  dest=/usr/local/lib/node-v$NODE_LTS_MAJOR
  tmp=$(mktemp -d)
  if ! "$dest/bin/node" -e "process.exit(+process.versions.node.split('.')[0] >= $NODE_LTS_MAJOR ? 0 : 1)" 2>/dev/null; then
    log "installing Node $NODE_LTS_MAJOR LTS from the npm registry (node-linux-$arch) next to Node $(node -v)"
    if ! (cd "$tmp" && npm pack --silent "node-linux-$arch@$NODE_LTS_MAJOR" >/dev/null && tar -xzf node-linux-"$arch"-*.tgz); then
      log "could not fetch Node $NODE_LTS_MAJOR from the npm registry: carrying on with Node $(node -v)"
      rm -rf "$tmp"
      return 0
    fi
    rm -rf "$dest"
    mv "$tmp/package" "$dest"
  fi
  rm -rf "$tmp"
  ln -sf "$dest/bin/node" /usr/local/bin/node
  hash -r
  if [ "$(node_major)" -lt "$NODE_LTS_MAJOR" ]; then
    # not fatal: everything still runs on the old Node, as npm only warns about `engines`
    log "Node $NODE_LTS_MAJOR is in /usr/local/bin, but PATH finds $(command -v node) first: put /usr/local/bin before it"
    return 0
  fi
  log "node is now $(node -v) ($(command -v node))"
}
