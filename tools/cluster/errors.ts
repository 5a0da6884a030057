/**
 * The one error class of the cluster tooling.
 */

/** ClusterErrorCode names each way bringing the cluster up or down can fail. */
export type ClusterErrorCode =
  | 'SKIFF_CLUSTER_NOT_ROOT'
  | 'SKIFF_CLUSTER_MISSING_TOOL'
  | 'SKIFF_CLUSTER_BUSY'
  | 'SKIFF_CLUSTER_NO_ADDRESS'
  | 'SKIFF_CLUSTER_COMMAND'
  | 'SKIFF_CLUSTER_NOT_READY'
  | 'SKIFF_CLUSTER_EXITED'
  | 'SKIFF_CLUSTER_LEFTOVERS';

/** ClusterError is a failure to bring the e2e cluster up, install Skiff into it, or tear it down. */
export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  readonly code: ClusterErrorCode;
  constructor(code: ClusterErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
