// Barrel of src/scan: the guard: rules, findings, allow-list, reporters and hook installation.
export { RULES, fingerprint, type RuleId, type Finding, type Note, type Allowance } from './findings.js';
export { scanFile, SCAN_MAX_FILE_BYTES, type FileVerdict } from './file.js';
export { IGNORE_FILE, parseIgnoreFile, applyIgnore } from './ignore.js';
export { scanStaged, scanWorkTree, scanHistory, scanExitStatus, type ScanReport } from './scan.js';
export { installHook, uninstallHook, hookScript, hooksDir, HOOK_MARKER, CHAINED_HOOK, type HookCommand, type HookResult } from './hook.js';
export { isPlaceholder } from './rules/placeholder.js';
export { formatText } from './report/text.js';
export { formatJson } from './report/json.js';
export { formatSarif } from './report/sarif.js';
export { fixFor } from './report/fix.js';
