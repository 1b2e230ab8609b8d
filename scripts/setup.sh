#!/usr/bin/env bash
# Installs every Debian package pgshift needs, then builds and installs the extension and the CLI.
# Idempotent; run as root on Debian 12 (the README's two commands call it).
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(postgresql-15 postgresql-server-dev-15 libpq-dev libcli11-dev libyaml-cpp-dev
          nlohmann-json3-dev libgtest-dev cmake g++ make python3 pgbouncer
          gnuplot-nox)   # (the benchmarks draw their plots with it)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
# The stress test's clients are Node.js (node-postgres); machines of this kind have Node, else Debian's.
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
jobs=$(nproc)
echo "setup: building the extension"
make -s -j"$jobs" >/dev/null
make -s install >/dev/null
echo "setup: building the CLI and unit tests"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$jobs" >/dev/null
cmake --install build >/dev/null
echo "setup: done ($(command -v pgshift))"
