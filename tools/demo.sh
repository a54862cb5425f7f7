#!/usr/bin/env bash
# The main job end to end on a fresh machine: make a key, seal the example Secret, check the
# sealed file hides every value, unseal it, and fail loudly unless the round trip is exact.
# Run with `npm run demo` (which builds first).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sealops=(node "$root/dist/cli/sealops.js")
example="$root/examples/secret.yaml"
work="$(mktemp -d "${TMPDIR:-/tmp}/sealops-demo.XXXXXX")"
trap 'rm -rf "$work"' EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
fail() { printf '\n\033[31mDEMO FAILED: %s\033[0m\n' "$*" >&2; exit 1; }

step "sealops keygen -o $work/key.txt"
recipient="$("${sealops[@]}" keygen -o "$work/key.txt")"
echo "recipient: $recipient"
[[ "$(stat -c %a "$work/key.txt")" == 600 ]] || fail "the key file is not mode 0600"

step "sealops seal -r $recipient < examples/secret.yaml > sealed.yaml"
"${sealops[@]}" seal -r "$recipient" < "$example" > "$work/sealed.yaml"
sed -n '1,20p' "$work/sealed.yaml"
echo "  … ($(wc -l < "$work/sealed.yaml") lines, sops block at the end)"
for secret in example-only-not-a-real-password ZXhhbXBsZS10b2tlbg== db.shop.svc; do
  if grep -q -- "$secret" "$work/sealed.yaml"; then fail "the sealed file still contains a plaintext value"; fi
done
grep -q '^  name: orders-db$' "$work/sealed.yaml" || fail "metadata should stay readable"

step "sealops verify -k key.txt sealed.yaml"
"${sealops[@]}" verify -k "$work/key.txt" "$work/sealed.yaml"

step "sealops unseal -k key.txt sealed.yaml > unsealed.yaml"
"${sealops[@]}" unseal -k "$work/key.txt" "$work/sealed.yaml" > "$work/unsealed.yaml"
if ! cmp -s "$example" "$work/unsealed.yaml"; then
  diff -u "$example" "$work/unsealed.yaml" | sed 's/^/  /' >&2 || true
  fail "unsealed output differs from examples/secret.yaml"
fi
echo "unsealed output is byte-for-byte identical to examples/secret.yaml"

step "a tampered file is refused"
sed 's/namespace: shop/namespace: other/' "$work/sealed.yaml" > "$work/tampered.yaml"
if "${sealops[@]}" unseal -k "$work/key.txt" "$work/tampered.yaml" > /dev/null 2> "$work/err"; then
  fail "a file whose namespace was changed unsealed anyway"
fi
sed 's/^/  /' "$work/err"

printf '\n\033[32mdemo ok: keygen → seal → unseal round trip matches byte for byte\033[0m\n'
