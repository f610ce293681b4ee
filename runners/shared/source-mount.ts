/**
 * Where the operator mounts a CsvImport's configMap or persistentVolumeClaim source in the runner, read-only. The
 * runner resolves the spec's key or path under it itself (runners/import/mounted-source.ts); `bulkhead import
 * --source-dir` points it elsewhere.
 */
export const SOURCE_MOUNT_DIR = '/var/run/bulkhead/source';
