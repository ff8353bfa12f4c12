#!/usr/bin/env bash
# Quick-start demo: install deps, build, package the extension, run the CLI on samples/, then serve
# VS Code (code-server) on 127.0.0.1 with GFP Lens installed and samples/ open, until Ctrl-C.
#   bash scripts/demo.sh              # PORT=8080 bash scripts/demo.sh to choose the port
#   bash scripts/demo.sh --no-serve   # everything except starting the server
# Env: SKIP_INSTALL=1 skips scripts/install-test-deps.sh; SKIP_BUILD=1 reuses dist/ (test-all.sh has built it).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
SERVE=1
for a in "$@"; do
  case "$a" in
    --no-serve) SERVE=0 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "demo.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done
CS_DIR=${CODE_SERVER_DIR:-$REPO/.cache/code-server}
D=$REPO/.cache/demo

[ "${SKIP_INSTALL:-0}" = 1 ] || bash scripts/install-test-deps.sh

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  echo "== build"
  node scripts/build.mjs
fi
echo "== package dist/gfp-lens.vsix"
npx vsce package --no-dependencies --skip-license --baseContentUrl https://example.invalid/gfp-lens/blob/main --baseImagesUrl https://example.invalid/gfp-lens/raw/main -o dist/gfp-lens.vsix > "$REPO/.cache/vsce.log" 2>&1 \
  || { cat "$REPO/.cache/vsce.log" >&2; echo "demo.sh: vsce package failed" >&2; exit 1; }

echo "== node dist/cli.js check samples"
set +e
node dist/cli.js check samples
rc=$?
set -e
# 0 = clean, 1 = findings reported (expected on the samples); anything else is a crash
if [ $rc -gt 1 ]; then echo "demo.sh: the CLI failed (exit $rc)" >&2; exit 1; fi
echo "(CLI exit code $rc: $([ $rc = 1 ] && echo 'findings reported, as expected for the samples' || echo 'no findings'))"

[ $SERVE = 1 ] || { echo "== --no-serve: not starting code-server"; exit 0; }

echo "== start VS Code (code-server) with GFP Lens"
# Fresh demo state each time; the workspace is samples/ itself, so quick fixes edit the real files
# (git checkout samples/ undoes them).
rm -rf "$D"
mkdir -p "$D/ud/User" "$D/ext"
cat > "$D/ud/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "security.workspace.trust.enabled": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "update.mode": "none",
  "git.enabled": false
}
JSON
export XDG_CONFIG_HOME=$D/xdg/config XDG_DATA_HOME=$D/xdg/data XDG_CACHE_HOME=$D/xdg/cache
if [ -z "${PORT:-}" ]; then
  PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
fi
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$D/config.yaml"
CS=("$CS_DIR/node_modules/.bin/code-server" --config "$D/config.yaml" --user-data-dir "$D/ud" --extensions-dir "$D/ext")
"${CS[@]}" --install-extension "$REPO/dist/gfp-lens.vsix" > "$D/install-extension.log" 2>&1 \
  || { cat "$D/install-extension.log" >&2; exit 1; }

FOLDER=$REPO/samples
URL="http://127.0.0.1:$PORT/?folder=$(node -p 'encodeURIComponent(process.argv[1])' "$FOLDER")"
setsid "${CS[@]}" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override > "$D/code-server.log" 2>&1 &
CSPID=$!
stop() { kill -TERM "$CSPID" 2>/dev/null || true; sleep 1; kill -TERM -- "-$CSPID" 2>/dev/null || true; echo; echo "demo stopped"; exit 0; }
trap stop INT TERM
trap 'kill -TERM -- "-$CSPID" 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do
  curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  kill -0 "$CSPID" 2>/dev/null || { tail -20 "$D/code-server.log" >&2; echo "demo.sh: code-server exited" >&2; exit 1; }
  sleep 0.25
done
echo
echo "GFP Lens demo running. Open in a browser:"
echo "  $URL"
echo "Open drivers/misc/gfpdemo.c. Logs: $D/code-server.log. Stop with Ctrl-C."
wait "$CSPID"
