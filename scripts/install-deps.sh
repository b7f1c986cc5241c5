#!/bin/sh
# Installs the Debian 12 packages archportal needs to build, test and run.
# Called by the Makefile when something is missing; safe to run again.
set -eu
PKGS="build-essential meson ninja-build pkg-config clang libclang-rt-14-dev \
  libmicrohttpd-dev libjansson-dev libsqlite3-dev sqlite3 libsodium-dev \
  libcmocka-dev libcurl4-openssl-dev python3 curl nginx-light wrk \
  libqpdf-dev qpdf libzip-dev libxml2-dev libxml2-utils libxlsxwriter-dev libpango1.0-dev libcairo2-dev poppler-utils ghostscript \
  libreoffice-writer-nogui libreoffice-calc-nogui fonts-dejavu-core \
  python3-polib gettext libgraphviz-dev graphviz libicu-dev nodejs chromium \
  libpq-dev postgresql-15"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" \
    || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-deps: installing$missing"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi
# npm (with Debian's nodejs package, or the one that came with the machine's
# Node.js): USWDS for the pages, playwright-core and axe-core for the browser
# tests, exactly as package-lock.json pins them.
if ! command -v npm >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive ${SUDO:-} apt-get install -y -qq --no-install-recommends npm
fi
cd "$(dirname "$0")/.."
npm ci --no-audit --no-fund --loglevel=error
