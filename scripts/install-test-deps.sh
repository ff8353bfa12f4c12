#!/usr/bin/env bash
# Installs everything the build, the tests and the demo need, on a fresh Debian machine that reaches
# only the npm registry and Debian's apt repositories. Idempotent: a second run does almost nothing.
#
#   1. apt packages: chromium (e2e browser), libkrb5-dev (code-server's kerberos addon builds from source),
#      ripgrep (seeds @vscode/ripgrep, whose own download is unreachable), bc, curl, gcc + libc6-dev (the native
#      parser, scripts/build-native.mjs).
#   2. npm ci in the repo (skipped when node_modules matches package-lock.json).
#   3. code-server 4.100.3 (VS Code 1.100.3, the newest release that runs on Node 20) into
#      <repo>/.cache/code-server (override with CODE_SERVER_DIR), skipped when already installed.
#
# Anything that cannot be installed stops the script with a message; nothing is skipped silently.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CODE_SERVER_VERSION=4.100.3
# @vscode/ripgrep version pinned by code-server 4.100.3's lib/vscode shrinkwrap, and the asset it wants.
VSCODE_RIPGREP_VERSION=1.15.11
RIPGREP_ASSET=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
CS_DIR=${CODE_SERVER_DIR:-$REPO/.cache/code-server}
APT_PACKAGES=(chromium libkrb5-dev ripgrep bc curl gcc libc6-dev)

T0=$(date +%s)
say() { echo "[install-test-deps +$(( $(date +%s) - T0 ))s] $*"; }
die() { echo "[install-test-deps] ERROR: $*" >&2; exit 1; }

# Several engineers (and test runs) share one working tree: serialise installs.
mkdir -p "$REPO/.cache"
exec 9>"$REPO/.cache/install.lock"
flock 9

# ---------------------------------------------------------------- 1. apt
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "apt packages missing (${missing[*]}) and not root (no sudo): install them first"
    SUDO=sudo
  fi
  say "apt-get install ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    || die "apt-get update failed"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed"
fi
for b in /usr/bin/chromium rg bc curl cc; do
  command -v "$b" >/dev/null || die "$b not found after installing apt packages"
done
say "apt packages ok (${APT_PACKAGES[*]})"

# Native addons (code-server's, tree-sitter's) build against Node's own headers; node-gyp would otherwise
# try to download them, which cannot work here.
if [ -z "${npm_config_nodedir:-}" ]; then
  NODE_PREFIX=$(dirname "$(dirname "$(command -v node)")")
  [ -f "$NODE_PREFIX/include/node/node.h" ] && export npm_config_nodedir=$NODE_PREFIX
fi

# ---------------------------------------------------------------- 2. npm dependencies of the repo
cd "$REPO"
# Up to date when npm's own record (node_modules/.package-lock.json) is newer than package-lock.json and
# the dependency fields of package.json are those of the last install here (.cache/npm-deps.stamp).
# Edits to other parts of package.json ("contributes") do not re-install, so a shared tree is not wiped.
deps_hash() {
  node -e 'const p=require("./package.json");const fs=require("fs");
    const l=fs.existsSync("package-lock.json")?fs.readFileSync("package-lock.json","utf8"):"";
    console.log(require("crypto").createHash("sha256").update(JSON.stringify([p.dependencies,p.devDependencies,p.optionalDependencies,p.overrides])+l).digest("hex"))'
}
STAMP=$REPO/.cache/npm-deps.stamp
hidden=node_modules/.package-lock.json
if [ -f "$hidden" ] && { [ ! -f package-lock.json ] || [ "$hidden" -nt package-lock.json ]; } \
   && { [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" = "$(deps_hash)" ]; }; then
  say "npm dependencies up to date"
elif [ -f package-lock.json ]; then
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"
else
  say "npm install (no package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error || die "npm install failed"
fi
deps_hash > "$STAMP"
for m in esbuild typescript @vscode/vsce playwright-core; do
  [ -f "node_modules/$m/package.json" ] || die "npm package $m missing from node_modules after install"
done

# ---------------------------------------------------------------- 3. code-server
CS_BIN=$CS_DIR/node_modules/.bin/code-server
CS_STAMP=$CS_DIR/.installed-$CODE_SERVER_VERSION
installed_version() {
  node -p "require('$CS_DIR/node_modules/code-server/package.json').version" 2>/dev/null || true
}
if [ -f "$CS_STAMP" ] && [ -x "$CS_BIN" ] && [ "$(installed_version)" = "$CODE_SERVER_VERSION" ]; then
  say "code-server $CODE_SERVER_VERSION already in $CS_DIR"
else
  say "installing code-server@$CODE_SERVER_VERSION into $CS_DIR (about 1-2 min)"
  rm -rf "$CS_DIR"
  mkdir -p "$CS_DIR/.tmp/vscode-ripgrep-cache-$VSCODE_RIPGREP_VERSION"
  # @vscode/ripgrep looks in $TMPDIR/vscode-ripgrep-cache-<ver>/ before downloading from GitHub:
  # seed it with Debian's rg (13.x, same major as the asset it expects).
  tar czf "$CS_DIR/.tmp/vscode-ripgrep-cache-$VSCODE_RIPGREP_VERSION/$RIPGREP_ASSET" -C "$(dirname "$(command -v rg)")" rg
  (cd "$CS_DIR" && npm init -y >/dev/null)
  # npm_config_unsafe_perm: code-server's postinstall refuses to run as root without it (npm 11 has no
  #   flag for it any more, but the variable still reaches the script).
  # npm_config_yes: node-pty's postinstall runs `npx node-gyp`, which aborts without a TTY otherwise.
  # Prebuilt-binary downloads from GitHub fail (ENOTFOUND) and fall back to node-gyp builds: that is expected.
  if ! (cd "$CS_DIR" && TMPDIR="$CS_DIR/.tmp" npm_config_yes=true npm_config_unsafe_perm=true \
        npm install "code-server@$CODE_SERVER_VERSION" --foreground-scripts --no-audit --no-fund \
        > "$CS_DIR/install.log" 2>&1); then
    tail -40 "$CS_DIR/install.log" >&2
    die "npm install code-server@$CODE_SERVER_VERSION failed (full log: $CS_DIR/install.log)"
  fi
  # Smoke test; keep code-server's default config.yaml / logs out of $HOME.
  v=$(XDG_CONFIG_HOME="$CS_DIR/.tmp/xdg/config" XDG_DATA_HOME="$CS_DIR/.tmp/xdg/data" \
      "$CS_BIN" --version 2>/dev/null | grep -m1 "^$CODE_SERVER_VERSION " || true)
  case "$v" in
    "$CODE_SERVER_VERSION "*) ;;
    *) die "code-server installed but '$CS_BIN --version' printed '$v' (log: $CS_DIR/install.log)";;
  esac
  [ -x "$CS_DIR/node_modules/code-server/lib/vscode/node_modules/@vscode/ripgrep/bin/rg" ] \
    || die "code-server's ripgrep is missing (log: $CS_DIR/install.log)"
  touch "$CS_STAMP"
  say "code-server $v installed"
fi
say "done"
