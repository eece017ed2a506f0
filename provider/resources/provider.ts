/**
 * The contract every resource implements: the same shape as a Pulumi dynamic provider
 * (`pulumi.dynamic.ResourceProvider`), written here without Pulumi so this layer never imports it. The SDK's
 * forwarders call these functions.
 *
 * `olds` passed to diff, update and delete are the previous OUTPUTS (the engine sends outputs, not inputs); every
 * resource therefore returns its normalised inputs among its outputs, plus the resolved `uri` so delete and
 * read reach the host the object was created on.
 */
export type Props = Record<string, unknown>;

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

export interface ResourceImpl {
  check(olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }>;
  diff(id: string, olds: Props, news: Props): Promise<DiffResult>;
  create(inputs: Props): Promise<{ id: string; outs: Props }>;
  read(id: string, props: Props): Promise<{ id: string; props: Props }>;
  update(id: string, olds: Props, news: Props): Promise<{ outs: Props }>;
  delete(id: string, props: Props): Promise<void>;
}

/**
 * Thrown when an object was created on the host but a later step failed: Pulumi records the object with this
 * id and these properties (ErrorResourceInitFailed), so it is never an orphan nobody knows about.
 */
export class PartialCreateError extends Error {
  constructor(
    message: string,
    readonly id: string,
    readonly properties: Props,
    readonly reasons: string[] = [message],
  ) {
    super(message);
    this.name = "PartialCreateError";
  }
}

/**
 * Thrown when an update failed part way: `properties` describe the object as it now is on the host (what was
 * done before the failure stays done). Pulumi records them with the new inputs (the partial-failure path of
 * ErrorResourceInitFailed, which the dynamic provider host sends for any error with an `id`), and the next up
 * updates the object again, so state never claims what the host does not have.
 */
export class PartialUpdateError extends PartialCreateError {
  constructor(message: string, id: string, properties: Props, reasons: string[] = [message]) {
    super(message, id, properties, reasons);
    this.name = "PartialUpdateError";
  }
}

/** A refusal that names the resource, the property and what to do. Thrown before anything is touched. */
export class ResourceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ResourceInputError";
  }
}

/** Where plans and progress go: the dynamic plugin's stderr reaches the user. Tests replace it. */
export let report: (line: string) => void = (line) => process.stderr.write(`${line}\n`);

export function setReporter(fn: (line: string) => void): void {
  report = fn;
}
