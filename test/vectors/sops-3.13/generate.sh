#!/usr/bin/env bash
# Regenerates the vectors of this folder with the real sops and kubeseal built by
# tools/build-assets.sh (~/.cache/sealops/bin). Fresh test-only keys each run.
# Usage: bash test/vectors/sops-3.13/generate.sh   (from the repository root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${SEALOPS_CACHE:-$HOME/.cache/sealops}/bin
cd "$here"
rm -f key*.txt *.enc.* *.expected.* rsa-key.pem rsa-cert.pem
for i in 0 1 2; do age-keygen -o "key$i.txt" 2>/dev/null; done
r() { grep -o 'age1[0-9a-z]*' "key$1.txt" | head -1; }
export SOPS_DISABLE_VERSION_CHECK=1 HOME="$here"
sops() { "$bin/sops" "$@"; }
dec() { SOPS_AGE_KEY_FILE="$1" sops -d --input-type "$2" --output-type "$2" "$3"; }

# Whole-file YAML: comments between top-level keys and inside a list, every value type.
printf '# top comment\na: 1\n# between\nb: two\nlist:\n    - x\n    # inside list\n    - z\nbig: 1e300\ntwo64: 18446744073709551616\nwhole: 6543.0\nat: 2026-01-02T03:04:05Z\nday: 2026-01-02\nquoted: "2026-01-02"\nflag: true\n' > plain.yaml
sops encrypt --age "$(r 0)" plain.yaml > comments-types.enc.yaml
dec key0.txt yaml comments-types.enc.yaml > comments-types.expected.yaml
# A number set by `sops set` (written as type:float).
cp comments-types.enc.yaml set-number.enc.yaml
SOPS_AGE_KEY_FILE=key0.txt sops set set-number.enc.yaml '["a"]' 6543
dec key0.txt yaml set-number.enc.yaml > set-number.expected.yaml
# Shamir: three key groups, threshold 2.
printf 'creation_rules:\n  - shamir_threshold: 2\n    key_groups:\n      - age: [%s]\n      - age: [%s]\n      - age: [%s]\n' "$(r 0)" "$(r 1)" "$(r 2)" > .sops.yaml
printf 'password: s3cr3t\n' > shamir.yaml
sops encrypt shamir.yaml > shamir-2of3.enc.yaml
cat key0.txt key2.txt > key02.txt
dec key02.txt yaml shamir-2of3.enc.yaml > shamir-2of3.expected.yaml
rm -f .sops.yaml key02.txt shamir.yaml
# dotenv and INI with comments.
printf '# old password hunter2\nPASSWORD=p4ss\n#note\nPORT=5432\n' > plain.env
sops encrypt --age "$(r 0)" plain.env > comments.enc.env
dec key0.txt dotenv comments.enc.env > comments.expected.env
printf '; old password hunter2\n[db]\n; note\npassword = p4ss\nport = 5432\n' > plain.ini
sops encrypt --age "$(r 0)" plain.ini > comments.enc.ini
dec key0.txt ini comments.enc.ini > comments.expected.ini
rm -f plain.yaml plain.env plain.ini
# kubeseal: a SealedSecret with Go templates in spec.template.data, and its recovery unseal.
node -e "
const {generateRsaKeyPair}=await import('$here/../../../dist/src/index.js');
const p=await generateRsaKeyPair({bits:2048});
(await import('node:fs')).writeFileSync('rsa-key.pem',p.privateKeyPem);(await import('node:fs')).writeFileSync('rsa-cert.pem',p.certificatePem);" --input-type=module
printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"app","namespace":"prod","annotations":{"enabled":"yes"}},"stringData":{"user":"admin","pw":"hunter2","empty":""}}' \
  | "$bin/kubeseal" --cert rsa-cert.pem -o json > base.json
node -e "
const fs=await import('node:fs');const o=JSON.parse(fs.readFileSync('base.json','utf8'));
o.spec.template.data={dsn:'postgres://{{ index . \"user\" }}:{{ .pw | b64enc }}@db',shout:'{{ upper .user | quote }}'};
fs.writeFileSync('template.sealedsecret.enc.json',JSON.stringify(o,null,2)+'\n');" --input-type=module
rm -f base.json
KUBECONFIG=/nonexistent "$bin/kubeseal" --recovery-unseal --recovery-private-key rsa-key.pem -o yaml < template.sealedsecret.enc.json > template.sealedsecret.expected.yaml
echo "sops: $("$bin/sops" --version --disable-version-check 2>/dev/null | head -1); kubeseal: $("$bin/kubeseal" --version)"
