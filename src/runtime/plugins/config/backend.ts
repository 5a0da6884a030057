/**
 * The source the config plugin reads from. A backend layers runtime values (e.g. a NATS KV
 * bucket) over the component's `config` map from the manifest. Views are read on every
 * call, so a change in the backend reaches running instances without a restart.
 */

/** ConfigRef names the component whose configuration is read. */
export interface ConfigRef {
  readonly namespace: string;
  readonly workload: string;
  readonly component: string;
}

/** ConfigView is the live configuration of one component. Its methods may reject; the guest then sees `upstream`. */
export interface ConfigView {
  /** get returns the current value of `key`, or undefined when it is not set. */
  get(key: string): Promise<string | undefined>;
  /** getAll returns every key and its current value. */
  getAll(): Promise<Record<string, string>>;
  /** close stops whatever the view watches. */
  close?(): Promise<void> | void;
}

/** ConfigBackend opens live views of component configuration. */
export interface ConfigBackend {
  /** open returns the view of `ref`'s configuration, layered over `base` (the manifest's config map). */
  open(ref: ConfigRef, base: Readonly<Record<string, string>>): Promise<ConfigView> | ConfigView;
  /** close releases what the backend holds. */
  close?(): Promise<void>;
}
