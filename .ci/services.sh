#!/usr/bin/env bash
# Make sure PostgreSQL and Redis answer on localhost, installing and starting them when a
# fresh Debian machine lacks them. Safe to run again: it does nothing when both are up.
set -euo pipefail

log() { printf '[services] %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root to run: $*"; return 1; fi
}

apt_updated=0
apt_install() {
  if [ "$apt_updated" = 0 ]; then as_root apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null
}

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null || ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL"
    apt_install postgresql
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
  pg_up || { log "PostgreSQL did not start"; exit 1; }
fi
# The tests connect over TCP as postgres/postgres (ignored where auth is 'trust').
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1; then
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >/dev/null 2>&1 || true
fi
log "PostgreSQL is up"

redis_up() { redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; }

if ! command -v redis-cli >/dev/null || ! redis_up; then
  if ! command -v redis-server >/dev/null; then
    log "installing Redis"
    apt_install redis-server
  fi
  log "starting Redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/chorus-redis.log
  for _ in $(seq 1 30); do redis_up && break; sleep 0.5; done
  redis_up || { log "Redis did not start"; exit 1; }
fi
log "Redis is up"

# The browser tests drive Debian's Chromium through Playwright (never `playwright install`:
# the tests use the system browser at /usr/bin/chromium); the Thai pages' screenshots need
# Thai fonts (fonts-thai-tlwg), the rest DejaVu.
if [ ! -x /usr/bin/chromium ]; then
  log "installing Chromium"
  apt_install chromium
fi
log "Chromium is installed"
# The leadership report's PDF: WeasyPrint lays it out with Pango (and HarfBuzz), in the same
# fonts.
missing_fonts=()
for package in fonts-thai-tlwg fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 \
    libharfbuzz-subset0; do
  dpkg -s "$package" >/dev/null 2>&1 || missing_fonts+=("$package")
done
if [ "${#missing_fonts[@]}" -gt 0 ]; then
  log "installing ${missing_fonts[*]}"
  apt_install "${missing_fonts[@]}"
fi
log "fonts and the PDF libraries are installed"
