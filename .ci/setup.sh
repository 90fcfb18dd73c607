#!/usr/bin/env bash
# Sets up everything `npm test`, `npm start` and `npm run bench` need on a fresh Debian machine,
# skipping what is already there: apt packages, the extension's npm packages, and code-server
# (a real VS Code, in test/code-server). Safe to run again and again.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  chromium ripgrep libkrb5-dev build-essential pkg-config git curl
  python3 python3-pytest python3-numpy python3-pandas python3-sklearn python3-joblib
  python3-psutil python3-optuna python3-torch python3-xgboost python3-matplotlib
  wrk python3-flask python3-yaml python3-cmaes python3-omegaconf
  python3-nbclient python3-nbformat python3-ipykernel  # notebooks run as runs on a real Jupyter kernel
  slurm-wlm munge  # the test Slurm cluster: test/harness/slurm-cluster.mjs
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing apt packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm ci when node_modules is missing or older than the lock file.
needs_install() { [ ! -f "$1/node_modules/.package-lock.json" ] || [ "$1/package-lock.json" -nt "$1/node_modules/.package-lock.json" ]; }

if needs_install .; then
  echo "setup: installing the extension's npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi

if needs_install test/code-server; then
  echo "setup: installing code-server (a real VS Code for the tests and npm start)"
  # @vscode/ripgrep's postinstall downloads from GitHub unless its cache has the archive:
  # Debian's rg in a tar.gz satisfies it.
  cache="${TMPDIR:-/tmp}/vscode-ripgrep-cache-1.15.11"
  mkdir -p "$cache"
  tar czf "$cache/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C /usr/bin rg
  # node-pty's postinstall runs `npx node-gyp` against the installed Node's headers.
  (cd test/code-server && npm_config_yes=true npm_config_nodedir=/usr npm ci --unsafe-perm --no-audit --no-fund --loglevel=error)
fi
