#!/usr/bin/env bash
# One e2e run of GFP Lens in a real VS Code (code-server 4.100.3) driven by headless Debian chromium:
#   build (unless E2E_SKIP_BUILD=1) -> package dist/gfp-lens.vsix -> fresh code-server state
#   (user-data, extensions, XDG dirs, free port, a copy of samples/ as the workspace)
#   -> --install-extension -> start -> node test/e2e/e2e.js -> tear down by PID / process group.
# Prerequisites come from scripts/install-test-deps.sh. Screenshots: test-output/e2e/*.png.
# Prints `N passed, M failed` last (from e2e.js) and exits non-zero on any failure.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$REPO"
CS_DIR=${CODE_SERVER_DIR:-$REPO/.cache/code-server}
CS_BIN=$CS_DIR/node_modules/.bin/code-server
OUT=$REPO/test-output/e2e
T0=$(date +%s.%N)
el() { printf '%6.1fs' "$(echo "$(date +%s.%N) - $T0" | bc)"; }
fail() { echo "run-e2e: $*" >&2; echo "0 passed, 1 failed"; exit 1; }

[ -x "$CS_BIN" ] || fail "code-server not installed in $CS_DIR (run: bash scripts/install-test-deps.sh)"
[ -x /usr/bin/chromium ] || fail "/usr/bin/chromium missing (run: bash scripts/install-test-deps.sh)"
[ -f node_modules/playwright-core/package.json ] || fail "node_modules missing (run: bash scripts/install-test-deps.sh)"

# 1. build + package
if [ "${E2E_SKIP_BUILD:-0}" != 1 ]; then
  node scripts/build.mjs || fail "build failed"
fi
for f in dist/extension.js dist/server.js; do [ -f "$f" ] || fail "$f missing after the build"; done
rm -f dist/gfp-lens.vsix
npx vsce package --no-dependencies --skip-license --baseContentUrl https://example.invalid/gfp-lens/blob/main --baseImagesUrl https://example.invalid/gfp-lens/raw/main -o dist/gfp-lens.vsix > "$REPO/.cache/vsce.log" 2>&1 \
  || { cat "$REPO/.cache/vsce.log" >&2; fail "vsce package failed"; }
echo "$(el) built + packaged dist/gfp-lens.vsix ($(du -h dist/gfp-lens.vsix | cut -f1))"

# 2. fresh per-run state (kept after the run for debugging: test-output/e2e/state)
rm -rf "$OUT"
R=$OUT/state
mkdir -p "$R/ud/User" "$R/ext" "$R/xdg" "$OUT"
cp -r samples "$R/ws"
cat > "$R/ud/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "security.workspace.trust.enabled": false,
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "extensions.ignoreRecommendations": true,
  "update.mode": "none",
  "editor.hover.delay": 100,
  "editor.minimap.enabled": false,
  "workbench.editor.enablePreview": false,
  "git.enabled": false,
  "window.restoreWindows": "none",
  "chat.disableAIFeatures": true,
  "workbench.secondarySideBar.defaultVisibility": "hidden"
}
JSON
PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
printf 'bind-addr: 127.0.0.1:%s\nauth: none\ncert: false\n' "$PORT" > "$R/config.yaml"
# code-server writes ~/.config/code-server and ~/.local/share/code-server unless told otherwise
export XDG_CONFIG_HOME=$R/xdg/config XDG_DATA_HOME=$R/xdg/data XDG_CACHE_HOME=$R/xdg/cache
CS=("$CS_BIN" --config "$R/config.yaml" --user-data-dir "$R/ud" --extensions-dir "$R/ext")

# 3. install the extension
"${CS[@]}" --install-extension "$REPO/dist/gfp-lens.vsix" > "$R/install-extension.log" 2>&1 \
  || { cat "$R/install-extension.log" >&2; fail "code-server --install-extension failed"; }
ls "$R/ext" | grep -q '^gfp-lens\.gfp-lens-' || { cat "$R/install-extension.log" >&2; fail "extension not in $R/ext after install"; }
echo "$(el) extension installed: $(ls "$R/ext" | grep gfp-lens)"

# 4. start code-server in its own session / process group; stop it by PID and PGID on exit
setsid "${CS[@]}" --bind-addr "127.0.0.1:$PORT" --auth none --disable-telemetry --disable-update-check \
  --disable-workspace-trust --disable-getting-started-override > "$R/code-server.log" 2>&1 &
CSPID=$!
cleanup() {
  kill -TERM "$CSPID" 2>/dev/null || true
  for _ in $(seq 1 20); do kill -0 "$CSPID" 2>/dev/null || break; sleep 0.25; done
  kill -TERM -- "-$CSPID" 2>/dev/null || true   # stragglers of the group (setsid => pgid = CSPID)
  sleep 0.5
  kill -KILL -- "-$CSPID" 2>/dev/null || true
}
trap cleanup EXIT
up=0
for _ in $(seq 1 120); do
  if curl -sf -o /dev/null "http://127.0.0.1:$PORT/healthz"; then up=1; break; fi
  kill -0 "$CSPID" 2>/dev/null || break
  sleep 0.25
done
[ $up = 1 ] || { tail -30 "$R/code-server.log" >&2; fail "code-server did not come up on 127.0.0.1:$PORT"; }
echo "$(el) code-server up on 127.0.0.1:$PORT (pid $CSPID)"

# 5. drive it
set +e
CS_URL=http://127.0.0.1:$PORT WS=$R/ws SHOTS=$OUT timeout 600 node test/e2e/e2e.js
RC=$?
set -e
[ $RC = 124 ] && { echo "run-e2e: e2e.js timed out after 600 s"; echo "0 passed, 1 failed"; }
echo "$(el) e2e finished rc=$RC (screenshots in test-output/e2e, code-server log in test-output/e2e/state)"
exit $RC
