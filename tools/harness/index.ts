/**
 * Engine harness: plays the Pulumi engine for real programs and the real dynamic-provider plugin, for tests
 * and benchmarks on machines without the Pulumi CLI. See tools/harness/README.md.
 */
export { Stack, StackOptions } from "./stack";
export { DeploymentError, Diagnostic, DiagnosticSource, Operation, OperationResult, ResourceFailure, Step, StepDetail, StepOp } from "./types";
export { ResourceState, StackState } from "./state";
export { UNKNOWN, JsonMap } from "./proto";
export { formatOutputs, formatStep, formatSummary, displayType } from "./format";
