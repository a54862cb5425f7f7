#!/usr/bin/env bash
# The whole GitOps flow on this machine, against real parts: a local control plane (etcd +
# kube-apiserver), a git repository guarded by the pre-commit hook, and the sync agent.
#
#   1. check the real parts (build the control plane once if it is missing, ~30 min)
#   2. start a throwaway control plane
#   3. create a GitOps repository and install the pre-commit hook
#   4. make the cluster's keys (age identity + RSA key and certificate)
#   5. commit a plaintext Secret -> the hook refuses it, nothing is committed
#   6. seal it (SOPS/age, plus a SealedSecret) -> the commit is accepted
#   7. install the Sync CRD and the keys Secret, point a Sync at the repository, run the agent once
#   8. read the Secrets back from the cluster: the values equal the originals
#
# Fails loudly (non-zero exit, "DEMO FAILED: ...") when anything does not match, and removes
# every process and temp folder it started on every exit path. Needs `npm run build` first
# (`npm run demo:gitops` does both). The values below are demo values, not secrets.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sealops=(node "$root/dist/cli/sealops.js")
apply=(node "$root/tools/demo-apply.mjs")
agent_ns=sealops-system
app_ns=demo-shop
sync_name=demo
# Demo data only: obviously fake values, so the checks below can grep for them.
demo_values=(demo-user demo-only-not-a-real-password demo-token-not-a-real-token demo-rotated-not-a-real-password)

# Colours only on a terminal, so logs and the test that runs this read plain text.
if [[ -t 1 ]]; then bold=$'\033[1m' red=$'\033[31m' green=$'\033[32m' off=$'\033[0m'; else bold='' red='' green='' off=''; fi
step_no=0
step() { step_no=$((step_no + 1)); printf '\n%s==> %d/9 %s%s\n' "$bold" "$step_no" "$*" "$off"; }
info() { printf '    %s\n' "$*"; }
fail() { printf '\n%sDEMO FAILED: %s%s\n' "$red" "$*" "$off" >&2; exit 1; }
indent() { sed 's/^/    /'; }

# Run apart from the caller's git and key settings: inherited GIT_* variables (from a hook, say)
# would point git at another repository, and a global core.hooksPath would receive the hook.
while IFS= read -r var; do unset "$var"; done < <(env | sed -n 's/^\(GIT_[A-Za-z0-9_]*\)=.*/\1/p')
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1
unset SEALOPS_KEY_FILE SOPS_AGE_KEY_FILE SOPS_AGE_KEY KUBECONFIG

work="$(mktemp -d "${TMPDIR:-/tmp}/sealops-gitops-demo.XXXXXX")"
chmod 700 "$work"
cluster_pid=""
alive() { kill -0 "$@" 2>/dev/null; }
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  if [[ -n "$cluster_pid" ]]; then
    # SIGTERM lets the harness stop etcd and kube-apiserver itself (it handles the signal once
    # the control plane is up; before that, node just exits and leaves the children).
    kill -TERM "$cluster_pid" 2>/dev/null || true
    for _ in $(seq 1 100); do alive "$cluster_pid" || break; sleep 0.2; done
    # Whatever is left of its process group (started with setsid): TERM, then KILL.
    if alive -- "-$cluster_pid"; then
      kill -TERM -- "-$cluster_pid" 2>/dev/null || true
      for _ in $(seq 1 25); do alive -- "-$cluster_pid" || break; sleep 0.2; done
      kill -KILL -- "-$cluster_pid" 2>/dev/null || true
    fi
    wait "$cluster_pid" 2>/dev/null || true
  fi
  # The harness's own temp folder is under $work/tmp (TMPDIR below), so this removes it too.
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
step "Check the real parts"
for tool in node git; do
  command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (apt-get install -y $tool)"
done
[[ -f "$root/dist/cli/sealops.js" ]] || fail "dist/ is missing: run \`npm run build\` first (or \`npm run demo:gitops\`)"
bin="${SEALOPS_CACHE:-$HOME/.cache/sealops}/bin"
if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "$KUBEBUILDER_ASSETS/etcd" && -x "$KUBEBUILDER_ASSETS/kube-apiserver" ]]; then
  info "control plane from KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS"
elif [[ -x "$bin/etcd" && -x "$bin/kube-apiserver" ]]; then
  info "control plane from $bin (kube-apiserver $(cat "$bin/kube-apiserver.version" 2>/dev/null || echo '?'), etcd $(cat "$bin/etcd.version" 2>/dev/null || echo '?'))"
elif command -v etcd >/dev/null 2>&1 && command -v kube-apiserver >/dev/null 2>&1; then
  info "control plane from PATH ($(command -v kube-apiserver), $(command -v etcd))"
else
  command -v go >/dev/null 2>&1 ||
    fail "etcd and kube-apiserver are missing and there is no Go toolchain to build them: install Go 1.26+ (https://go.dev/dl), or set KUBEBUILDER_ASSETS to a folder holding both (setup-envtest use)"
  info "etcd and kube-apiserver are missing: building them from the Go module proxy into $bin"
  info "(tools/build-assets.sh control-plane; this takes about 30 minutes the first time, then never again)"
  bash "$root/tools/build-assets.sh" control-plane 2>&1 | indent || fail "tools/build-assets.sh control-plane failed (output above)"
  [[ -x "$bin/etcd" && -x "$bin/kube-apiserver" ]] || fail "tools/build-assets.sh finished but $bin lacks etcd or kube-apiserver"
fi
info "node $(node --version), $(git --version)"

# ---------------------------------------------------------------------------------------------
step "Start a local control plane (etcd + kube-apiserver)"
kc="$work/kubeconfig"
started=$SECONDS
# Its own process group (setsid), so cleanup can take down etcd and kube-apiserver with it.
setsid_cmd=(); command -v setsid >/dev/null 2>&1 && setsid_cmd=(setsid)
# TMPDIR: the harness's folder (etcd data, certificates, logs) lands inside $work, so cleanup
# removes it even when the harness is killed before it could clean up after itself.
# No kube-controller-manager: nothing here needs garbage collection, and it spares two busy cores.
mkdir -p "$work/tmp"
TMPDIR="$work/tmp" "${setsid_cmd[@]}" node "$root/dist/test/cluster/cli.js" --kubeconfig "$kc" --no-controller-manager >"$work/cluster.log" 2>&1 &
cluster_pid=$!
# The harness writes the kubeconfig only once /readyz answers; allow for a slow, shared machine.
until [[ -s "$kc" ]]; do
  if ! kill -0 "$cluster_pid" 2>/dev/null; then
    indent <"$work/cluster.log" >&2
    fail "the control plane did not start (log above)"
  fi
  (( SECONDS - started < 240 )) || { indent <"$work/cluster.log" >&2; fail "the control plane was not ready after 240 s"; }
  sleep 0.3
done
"${apply[@]}" wait "$kc" || fail "the API server does not answer"
grep '^cluster: ready' "$work/cluster.log" | indent
info "API server answers; admin kubeconfig at $kc ($((SECONDS - started)) s)"

# ---------------------------------------------------------------------------------------------
step "Create a GitOps repository and install the pre-commit hook"
repo="$work/gitops"
keys="$work/keys"      # the cluster's private keys: outside the repository, never committed
plain="$work/plain"    # plaintext originals, kept only to compare with what the cluster got
mkdir -p "$repo/apps" "$keys" "$plain"
chmod 700 "$keys" "$plain"
git -C "$repo" init -q
git -C "$repo" symbolic-ref HEAD refs/heads/main   # whatever init.defaultBranch says
git -C "$repo" config user.name "sealops demo"
git -C "$repo" config user.email "demo@sealops.invalid"
git -C "$repo" config commit.gpgsign false
(cd "$repo" && "${sealops[@]}" hook install) | indent || fail "sealops hook install failed"

# ---------------------------------------------------------------------------------------------
step "Make the cluster's keys: sealops keygen"
recipient="$("${sealops[@]}" keygen -o "$keys/age.key" 2>/dev/null)" || fail "sealops keygen failed"
[[ "$recipient" == age1* ]] || fail "sealops keygen printed no age recipient"
info "age recipient (public):      $recipient"
"${sealops[@]}" keygen --rsa -o "$keys/rsa.pem" --cert-out "$keys/cert.pem" 2>&1 | indent || fail "sealops keygen --rsa failed"
[[ "$(stat -c %a "$keys/age.key")" == 600 && "$(stat -c %a "$keys/rsa.pem")" == 600 ]] || fail "private key files are not mode 0600"

# ---------------------------------------------------------------------------------------------
step "Commit a plaintext Secret: the hook must refuse it"
cat >"$repo/apps/namespace.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata:
  name: $app_ns
EOF
cat >"$repo/apps/settings.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: shop-settings
  namespace: $app_ns
data:
  mode: demo
EOF
cat >"$repo/apps/db-secret.yaml" <<EOF
# Database credentials of the demo shop (demo values).
apiVersion: v1
kind: Secret
metadata:
  name: orders-db
  namespace: $app_ns
type: Opaque
stringData:
  username: ${demo_values[0]}
  password: ${demo_values[1]}
EOF
cat >"$repo/apps/api-token.yaml" <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: api-token
  namespace: $app_ns
type: Opaque
stringData:
  token: ${demo_values[2]}
EOF
cp "$repo/apps/db-secret.yaml" "$repo/apps/api-token.yaml" "$plain/"
git -C "$repo" add apps
info "\$ git add apps && git commit -m 'add the shop'"
set +e
(cd "$repo" && git commit -q -m "add the shop") >"$work/refused.log" 2>&1
refused=$?
set -e
indent <"$work/refused.log"
(( refused != 0 )) || fail "the pre-commit hook let a plaintext Secret through"
if git -C "$repo" rev-parse -q --verify HEAD >/dev/null; then fail "something was committed although the hook refused"; fi
grep -q 'secret-plaintext' "$work/refused.log" || fail "the hook refused, but not for the plaintext Secret"
for v in "${demo_values[@]}"; do
  if grep -qF -- "$v" "$work/refused.log"; then fail "the hook's output shows a secret value"; fi
done
info "refused (exit $refused): nothing was committed, and the hook's output names keys, never values"

# ---------------------------------------------------------------------------------------------
step "Seal the Secrets and commit again: accepted"
info "\$ sealops seal -r $recipient --in-place apps/db-secret.yaml"
(cd "$repo" && "${sealops[@]}" seal -r "$recipient" --in-place apps/db-secret.yaml) 2>&1 | indent || fail "sealops seal failed"
info "\$ sealops seal --cert cert.pem --in-place apps/api-token.yaml        (a SealedSecret)"
(cd "$repo" && "${sealops[@]}" seal --cert "$keys/cert.pem" --in-place apps/api-token.yaml) 2>&1 | indent || fail "sealops seal --cert failed"
git -C "$repo" add apps
info "\$ git add apps && git commit -m 'add the shop, Secrets sealed'"
(cd "$repo" && git commit -q -m "add the shop, Secrets sealed") 2>&1 | indent || fail "the commit of sealed Secrets was refused"
revision="$(git -C "$repo" rev-parse HEAD)"
git -C "$repo" show --stat --format='commit %H%n%s' HEAD | indent
for v in "${demo_values[@]}"; do
  if git -C "$repo" grep -qF -- "$v" HEAD; then fail "a plaintext value was committed"; fi
done
info "apps/db-secret.yaml as committed (first lines; metadata stays readable, values and the scope binding are ENC[...]):"
git -C "$repo" show HEAD:apps/db-secret.yaml | sed -n '1,13p' | cut -c1-100 | indent
info "  ..."
info "no demo value appears anywhere in the commit"

# ---------------------------------------------------------------------------------------------
step "Install the agent's CRD and keys, point a Sync at the repository, run the agent once"
"${apply[@]}" apply "$kc" "$root/deploy/crd-sync.yaml" "$root/deploy/namespace.yaml" || fail "could not install the Sync CRD"
"${apply[@]}" keys "$kc" "$agent_ns" "$keys/age.key" "$keys/rsa.pem" || fail "could not create the keys Secret"
cat >"$work/sync.yaml" <<EOF
apiVersion: sealops.dev/v1alpha1
kind: Sync
metadata:
  name: $sync_name
  namespace: $agent_ns
spec:
  source:
    url: file://$repo
    ref:
      branch: main
  path: apps
  interval: 1m
  prune: true
EOF
"${apply[@]}" apply "$kc" "$work/sync.yaml" || fail "could not create the Sync"
info "\$ sealops agent --once --kubeconfig \$work/kubeconfig --namespace $agent_ns --agent-namespace $agent_ns"
set +e
"${sealops[@]}" agent --once --kubeconfig "$kc" --namespace "$agent_ns" --agent-namespace "$agent_ns" \
  --work-dir "$work/agent" >"$work/agent.out" 2>"$work/agent.log"
agent_rc=$?
set -e
indent <"$work/agent.out"
if (( agent_rc != 0 )); then
  info "agent log (JSON, stderr):"; indent <"$work/agent.log" >&2
  fail "sealops agent --once exited $agent_rc"
fi
grep -q "^$agent_ns/$sync_name	Ready	" "$work/agent.out" || fail "the agent did not report the Sync Ready"
for v in "${demo_values[@]}"; do
  if grep -qF -- "$v" "$work/agent.out" "$work/agent.log"; then fail "the agent's output or log shows a secret value"; fi
done
info "agent log: $(wc -l <"$work/agent.log") JSON line(s) on stderr, no secret value in them"

# ---------------------------------------------------------------------------------------------
step "Read the result back from the cluster"
"${apply[@]}" check "$kc" "$repo/apps/namespace.yaml" "$repo/apps/settings.yaml" "$plain/db-secret.yaml" "$plain/api-token.yaml" ||
  fail "the cluster does not hold what the repository describes"
"${apply[@]}" status "$kc" "$agent_ns" "$sync_name" "$revision" || fail "the Sync is not Ready at $revision"

# ---------------------------------------------------------------------------------------------
step "What runs where, and what a change would do: status, history, diff (never a value)"
info "\$ sealops status --kubeconfig \$work/kubeconfig"
"${sealops[@]}" status --kubeconfig "$kc" 2>&1 | indent || fail "sealops status failed"
info "\$ sealops history $sync_name -n $agent_ns"
"${sealops[@]}" history "$sync_name" -n "$agent_ns" --kubeconfig "$kc" 2>&1 | indent || fail "sealops history failed"
info "a change, as in a pull request: one ConfigMap value, and one secret value through sealops edit"
sed -i 's/mode: demo/mode: live/' "$repo/apps/settings.yaml"
(cd "$repo" && SEALOPS_KEY_FILE="$keys/age.key" SEALOPS_EDITOR="sed -i -e s/${demo_values[1]}/${demo_values[3]}/" "${sealops[@]}" edit apps/db-secret.yaml) 2>&1 | indent ||
  fail "sealops edit failed"
info "\$ sealops diff --from HEAD apps        (the working tree against the last commit; no key needed)"
set +e
(cd "$repo" && "${sealops[@]}" diff --from HEAD apps) >"$work/diff.out" 2>&1
diff_rc=$?
indent <"$work/diff.out"
info "\$ sealops diff --live --sync $agent_ns/$sync_name apps   (against the cluster, by the digests the agent recorded)"
(cd "$repo" && "${sealops[@]}" diff --live --kubeconfig "$kc" --sync "$agent_ns/$sync_name" apps) >"$work/live.out" 2>&1
live_rc=$?
set -e
indent <"$work/live.out"
(( diff_rc == 1 )) || fail "sealops diff exited $diff_rc, expected 1 (changes)"
(( live_rc == 1 )) || fail "sealops diff --live exited $live_rc, expected 1 (changes)"
for v in "${demo_values[@]}"; do
  if grep -qF -- "$v" "$work/diff.out" "$work/live.out"; then fail "a diff shows a secret value"; fi
done
info "both diffs name the changed ConfigMap field and the changed secret key, and no value"

printf '\n%sdemo ok: plaintext commit refused; sealed commit %s applied by the agent; the Secrets in the cluster hold the original values (%d s)%s\n' "$green" "${revision:0:12}" "$SECONDS" "$off"
