/** Read-only views of Syncs for people: `sealops status` across clusters, `sealops history`. */
export { collectStatus, type FleetStatus, type SyncRow, type ContextFailure, type GitPosition, type StatusOptions } from './status.js';
export { readSyncHistory, type SyncHistory, type HistoryOptions } from './history.js';
export { formatStatus, formatHistory, type ObserveOutput } from './format.js';
