/**
 * The wire vocabulary of the engine harness: the SDK's generated protobuf modules, Struct <-> JSON conversion,
 * promisified unary calls, and the decoding of `ErrorResourceInitFailed` error details.
 *
 * Everything is loaded from the installed `@pulumi/pulumi` (3.248.0) so that the harness speaks exactly the
 * protocol of the SDK that the programs and the dynamic-provider plugin use. `@grpc/grpc-js` and
 * `google-protobuf` are the single deduped copies that the SDK's `*_grpc_pb.js` files also load.
 */
import * as grpc from "@grpc/grpc-js";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import * as statusproto from "@pulumi/pulumi/proto/status_pb";

export { grpc };
export { Empty } from "google-protobuf/google/protobuf/empty_pb";
export * as provproto from "@pulumi/pulumi/proto/provider_pb";
export * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
export * as resproto from "@pulumi/pulumi/proto/resource_pb";
export * as resrpc from "@pulumi/pulumi/proto/resource_grpc_pb";
export * as engproto from "@pulumi/pulumi/proto/engine_pb";
export * as engrpc from "@pulumi/pulumi/proto/engine_grpc_pb";

/** A JSON object as carried in a `google.protobuf.Struct`. */
export type JsonMap = Record<string, unknown>;

/**
 * The SDK's marker for a value that is not known yet (installed `runtime/rpc.js` `unknownValue`). During a
 * preview it appears in place of computed values, in registrations and in what Check/Diff receive.
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** `DiffResponse.DiffChanges` values. */
export const DiffChanges = { UNKNOWN: 0, NONE: 1, SOME: 2 } as const;

/** Same message-size ceiling as the SDK (`runtime/settings.js` `maxRPCMessageSize`, 400 MiB). */
export const GRPC_OPTIONS: grpc.ChannelOptions = {
  "grpc.max_receive_message_length": 400 * 1024 * 1024,
  "grpc.max_send_message_length": 400 * 1024 * 1024,
};

/**
 * JSON object -> Struct. `Struct.fromJavaScript` throws on `undefined`; a JSON round trip drops such keys the
 * same way the SDK's serializer does.
 */
export function toStruct(value: JsonMap | undefined): Struct {
  return Struct.fromJavaScript(JSON.parse(JSON.stringify(value ?? {})));
}

/** Struct -> JSON object (an absent Struct reads as `{}`). */
export function fromStruct(s: Struct | undefined): JsonMap {
  return s ? (s.toJavaScript() as JsonMap) : {};
}

/** Calls a unary method of a grpc-js client and resolves with its response. */
export function unary<Req, Res>(client: grpc.Client, method: string, req: Req, deadlineMs?: number): Promise<Res> {
  const fn = (client as unknown as Record<string, (...args: unknown[]) => unknown>)[method];
  const opts: grpc.CallOptions = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
  return new Promise((resolve, reject) => {
    fn.call(client, req, new grpc.Metadata(), opts, (err: grpc.ServiceError | null, res: Res) => (err ? reject(err) : resolve(res)));
  });
}

/** What a provider reported through `ErrorResourceInitFailed`: the object exists but did not initialise. */
export interface InitFailure {
  id: string;
  properties: JsonMap;
  reasons: string[];
}

/**
 * Reads `pulumirpc.ErrorResourceInitFailed` from the `grpc-status-details-bin` trailer of a failed Create or
 * Update. The dynamic plugin sends it when the thrown error carries an `id` (installed
 * `cmd/dynamic-provider/index.js` `grpcResponseFromError`). Returns undefined when there is none.
 */
export function decodeInitFailure(err: unknown): InitFailure | undefined {
  const md = (err as grpc.ServiceError | undefined)?.metadata;
  if (!md || typeof md.get !== "function") return undefined;
  for (const raw of md.get("grpc-status-details-bin")) {
    const bytes = typeof raw === "string" ? Buffer.from(raw, "base64") : raw;
    const status = statusproto.Status.deserializeBinary(new Uint8Array(bytes));
    for (const any of status.getDetailsList()) {
      if (!any.getTypeName().endsWith("pulumirpc.ErrorResourceInitFailed")) continue;
      const d = provproto.ErrorResourceInitFailed.deserializeBinary(any.getValue_asU8());
      return { id: d.getId(), properties: fromStruct(d.getProperties()), reasons: d.getReasonsList() };
    }
  }
  return undefined;
}

/** The human part of a gRPC error (`details`), without grpc-js's "2 UNKNOWN: " prefix. */
export function grpcMessage(err: unknown): string {
  const e = err as Partial<grpc.ServiceError> | undefined;
  if (e && typeof e.details === "string" && e.details) return e.details;
  return e && typeof e.message === "string" ? e.message : String(err);
}
