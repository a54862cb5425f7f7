/**
 * The sealops library: what the CLI, the agent and other programs may use, listed by name.
 * cli/ imports only this module (a lint rule says so); everything else in src/ is internal.
 */

// Errors, the one exit-code table, redaction
export { describe as describeError, SealopsError, UsageError, InputError, KeyError, MacError, DecryptError, ConfigError, IoError, GitError, KubeError, EnvironmentError, ScopeError, type ErrorCode, EXIT_CODES, EXIT_OK, EXIT_FINDINGS, EXIT_INTERRUPTED, formatError, redact, REDACTED } from './errors.js';

// The format layer: one interface per sealed-file format, and the one format decision
export { detectFormat, formatFor, sealText, sealedRecipients, requireAgeIdentities, requireRsaKeys, type FileFormat, type FormatKind, type SealedText, type KeyRing, type FormatAdapter, type VerifyOptions, type SealTarget } from './formats/index.js';
export { isSealedSecretText } from './formats/sealedsecret/files.js';
export { inputFromBytes, readInputFile, writeInPlace, STDIN_SOURCE, type Input, type FileResult } from './formats/files.js';
export { replaceFile } from './formats/replace.js';

// One call per file command
export { planSeal, sealInputs, mergeInputs, unsealInputs, verifyInputs, rekeyInputs, rotateInputs, type OperationContext, type SealRequest, type Verdict, type VerifyRequest, type RewrapRequest, type RekeyResult } from './operations/index.js';

// SOPS with age
export { sealSops, unsealSops, unsealSopsForEdit, rekeySops, rotateSops, verifySops, readSopsMetadata, decryptSopsDocuments, openSopsDocuments, detectSopsFormat, isSopsEncrypted, SECRET_ENCRYPTED_REGEX, type SopsFormat, type SealSopsOptions, type OpenSopsOptions, type SopsTextOptions, type SopsVerifyResult, type SealContext } from './formats/sops/engine.js';
export { metadataRecipients, type SopsMetadata } from './formats/sops/metadata.js';
export { SCOPE_ANNOTATION, checkScopes, type DocumentScope } from './formats/sops/scope.js';
export { type KeyPlan } from './formats/sops/wrap.js';

// Bitnami SealedSecret
export { sealSecret, type SealSecretOptions } from './formats/sealedsecret/seal.js';
export { unsealSealedSecret, isSealedSecret, formatUnsealedSecret } from './formats/sealedsecret/unseal.js';
export { verifySealedSecret, type SealedSecretVerification } from './formats/sealedsecret/verify.js';
export { mergeIntoSealedSecret, mergeIntoSealedSecretText } from './formats/sealedsecret/merge.js';
export { isTemplateExpression } from './formats/sealedsecret/template-data.js';
export { readSealedSecretDocuments, formatKubesealYaml } from './formats/sealedsecret/codec.js';
export { type SealedSecret, type SecretManifest } from './formats/sealedsecret/types.js';

// Keys and envelopes
export { generateAgeKeyPair, ageRecipientOf, type AgeKeyPair } from './crypto/age.js';
export { rsaFingerprint } from './crypto/rsa-fingerprint.js';
export { SEALING_SCOPES, type SealingScope } from './crypto/rsa-oaep.js';

// Manifests
export { readDocuments, type ReadDocumentsOptions, detectManifestFormat, checkManifestSize, DEFAULT_MAX_MANIFEST_BYTES, type ManifestFormat } from './manifest/parse.js';
export { isKubernetesSecret, manifestRef } from './manifest/secret.js';

// Key files, key sets and repository configuration
export { loadKeyRing, classifyKeySource, type KeySourceKind, type LoadKeyRingOptions } from './keys/key-ring.js';
export { loadAgeIdentities, writePrivateKeyFile } from './keys/key-files.js';
export { parseAgeIdentities, formatAgeKeyFile } from './keys/age-keys.js';
export { writeRsaKeyPairFiles, type RsaKeyFilesOptions } from './keys/rsa-key-files.js';
export { generateRsaKeyPair, type RsaKeyPair } from './keys/rsa-keygen.js';
export { loadRsaCertificate, readRsaCertificate, type RsaCertificate } from './keys/rsa-cert.js';
export { loadRsaPrivateKeys } from './keys/rsa-private.js';
export { resolveRecipients, createConfigCache, type ConfigCache, parseSealopsConfig, type ResolvedRecipients, type SealopsConfig, type ClusterConfig, type PathRule } from './keys/config.js';

// The guard
export { scanStaged, scanWorkTree, scanHistory, scanExitStatus, type ScanReport } from './scan/scan.js';
export { formatText } from './scan/report/text.js';
export { formatJson } from './scan/report/json.js';
export { formatSarif } from './scan/report/sarif.js';
export { installHook, uninstallHook, type HookCommand } from './scan/hook.js';

// The agent, the Kubernetes client and the server it runs (used by `sealops agent`)
export { startHealthServer } from './server/health.js';
export { AgentMetrics, RECONCILE_REASONS, type MetricsSources } from './server/metrics.js';
export { renderStatusPage, type StatusPageOptions } from './server/page.js';
export { RECONCILE_STAGES, type ReconcileStage, type StageObserver } from './agent/stages.js';
export { Controller, reconcileAllOnce } from './agent/controller.js';
export { KubeClient, loadKubeConfig, KubeApiError, withKubeClient } from './kube/client.js';
export { LeaderElector } from './agent/leader.js';
export { runAgent, runAgentOnce, processSignals, type RunAgentOptions } from './server/runtime.js';
export { Logger } from './agent/log.js';
export { type PublicKeys, ensureClusterKeys } from './agent/keys.js';
export { listKeySets, type KeySetInfo, KEY_SET_LABEL, FINGERPRINT_LABEL, CREATED_AT_ANNOTATION, LAST_BACKUP_ANNOTATION, ROTATE_REQUEST_ANNOTATION } from './agent/keysets.js';
export { requestKeyRotation, retireKeySet, fetchClusterKeys, readKeySets, parseKeyRotation, DEFAULT_AGENT_NAMESPACE, type RetireResult } from './agent/keys-admin.js';
export { backupKeySets, restoreKeySets, type RestoreResult } from './agent/keys-backup.js';
export { writeClusterKeys, findConfigFile, type WriteClusterKeysResult } from './keys/config-write.js';
export { normalizeRepoUrl } from './server/webhook.js';
export { reconcileSync } from './agent/reconcile.js';
export { Discovery, resourcePath } from './kube/discovery.js';
export { fetchSnapshot } from './git/source.js';
export { type SyncObject } from './agent/sync.js';
export { findSecretFiles, type SecretFiles } from './operations/discover.js';
export { rewrapAll, type BulkMode, type BulkReport, type BulkRequest, type BulkFailure } from './operations/bulk.js';
export { startHelpers, type BulkHelpers } from './operations/bulk-start.js';
export { reencryptInputs, bearerTokenOf, type ReencryptRequest } from './operations/reencrypt.js';
export { reencryptSealedSecret, type ReencryptKeys, type ReencryptResult } from './formats/sealedsecret/reencrypt.js';
export { loadReencryptKeys, type KeySetEntries, type LoadedReencryptKeys } from './keys/reencrypt-keys.js';
export { handleReencrypt, REENCRYPT_PATH, REENCRYPT_ACCESS, type ReencryptOptions } from './server/reencrypt.js';
export { authenticate, authorize, bearerToken, type AccessCheck, type Caller, type AuthResult } from './server/auth.js';
export { listKeys, type KeysListOptions, type KeysListReport, type KeyEntry, type KeysProblem, type KeysProblemKind, type ClusterSide } from './operations/keys-list.js';
export { formatKeysList } from './operations/keys-list-report.js';
export { readRepositoryInventory, type RepositoryInventory, type SealedFileInfo, type InventoryIssue } from './keys/inventory.js';
export { readClusterKeyView, type ClusterKeyView, type ClusterKeySet } from './keys/cluster-view.js';

// `sealops build` and the kustomize runner
export { renderLocal, formatManifests } from './agent/render.js';
export { DEFAULT_WORKER_MEMORY_MB } from './agent/offthread.js';
export { findKustomize } from './build/kustomize.js';
export { type ReconcileOutcome } from './agent/reconcile.js';

// `sealops install` / `uninstall`
export { installToCluster, uninstallFromCluster } from './install/index.js';
export { installManifests, exportManifests, defaultDeployDir, type InstallOptions, type KubeObject as InstallObject } from './install/manifests.js';
export { installObjects, uninstallObjects, type InstallResult } from './install/apply.js';
export { loadKubeConnection } from './kube/config.js';
export { clearExecCredentials } from './kube/exec-credential.js';
export { serviceAccountIdentity } from './kube/client.js';

// `sealops diff`: revision diffs per object and per secret key, from ciphertext alone
export { diffRevisions, DIFF_EXIT, type RevisionDiff, type RevisionDiffOptions, type DiffSide } from './diff/index.js';
export { formatDiff, type DiffOutput } from './diff/report.js';
export { diffLive, type LiveDiffOptions } from './diff/live.js';
// Drift between commits (spec.drift) and the keyless link diff --live reads
export { SEALED_DIGESTS_ANNOTATION } from './agent/drift/sealed-digests.js';
export { type ChangeKind, type KeyStatus, type ObjectChange, type ObjectId, type SecretKeys } from './diff/compare.js';
export { textconv, valueMarker } from './diff/textconv.js';
export { installDiffDriver, uninstallDiffDriver, type DiffDriverResult } from './diff/driver.js';

// Observing Syncs: status across clusters, history.
export { collectStatus, readSyncHistory, formatStatus, formatHistory, type FleetStatus, type SyncRow, type ContextFailure, type GitPosition, type StatusOptions, type SyncHistory, type HistoryOptions, type ObserveOutput } from './observe/index.js';
export { listKubeContexts, type KubeContextInfo } from './kube/config.js';
export { remoteHead, type RemoteHeadOptions } from './git/remote-head.js';
