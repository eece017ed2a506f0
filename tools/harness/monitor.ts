/**
 * The gRPC surface the program's SDK talks to: `pulumirpc.ResourceMonitor` and `pulumirpc.Engine`, served on
 * one 127.0.0.1 port. It turns requests into plain `Registration` objects for a `MonitorHandler` (the
 * deployment) and answers the SDK's start-up and shutdown calls.
 *
 * What the SDK 3.248.0 calls (docs/pulumi-mechanics.md §4.2): SupportsFeature for 11 features (all answered
 * false, so the SDK sends plain values: no secret, resource or output wrappers), RegisterResource,
 * RegisterResourceOutputs, SignalAndWaitForShutdown, Engine.Log and Get/SetRootResource. Methods not
 * implemented here (Invoke, Call, ReadResource, RegisterPackage, hooks, transforms) answer UNIMPLEMENTED.
 */
import { Empty, JsonMap, engproto, engrpc, fromStruct, grpc, GRPC_OPTIONS, resproto, resrpc, toStruct } from "./proto";

/** A `RegisterResourceRequest`, reduced to what the harness uses. */
export interface Registration {
  type: string;
  name: string;
  parent: string;
  custom: boolean;
  /** Input properties (unknown values appear as `UNKNOWN` in a preview). */
  object: JsonMap;
  dependencies: string[];
  propertyDependencies: Record<string, string[]>;
  /** Explicit provider reference; empty for the default provider. */
  provider: string;
  protect: boolean;
  retainOnDelete: boolean;
  /** The `deleteBeforeReplace` option, or undefined when the program did not set it. */
  deleteBeforeReplace?: boolean;
  ignoreChanges: string[];
  replaceOnChanges: string[];
  importId: string;
  /** Custom timeouts in seconds (0 = none). */
  timeouts: { create: number; update: number; delete: number };
}

export interface RegisterReply {
  urn: string;
  id: string;
  object: JsonMap;
}

export type LogSeverity = "debug" | "info" | "warning" | "error";

export interface MonitorHandler {
  registerResource(reg: Registration): Promise<RegisterReply>;
  registerResourceOutputs(urn: string, outputs: JsonMap): void;
  log(severity: LogSeverity, message: string, urn: string): void;
}

const SEVERITIES: LogSeverity[] = ["debug", "info", "warning", "error"];

/** Go duration text ("5m", "1h30m", "90s") -> seconds; 0 when empty or unparsable. */
export function parseDuration(text: string): number {
  let total = 0;
  const units: Record<string, number> = { h: 3600, m: 60, s: 1, ms: 0.001 };
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)) total += Number(n) * units[unit];
  return total;
}

function toRegistration(req: resproto.RegisterResourceRequest): Registration {
  const propertyDependencies: Record<string, string[]> = {};
  req.getPropertydependenciesMap().forEach((deps, key) => {
    propertyDependencies[key] = deps.getUrnsList();
  });
  const t = req.getCustomtimeouts();
  return {
    type: req.getType(),
    name: req.getName(),
    parent: req.getParent(),
    custom: req.getCustom(),
    object: fromStruct(req.getObject()),
    dependencies: req.getDependenciesList(),
    propertyDependencies,
    provider: req.getProvider(),
    protect: req.getProtect() ?? false,
    retainOnDelete: req.getRetainondelete() ?? false,
    deleteBeforeReplace: req.getDeletebeforereplacedefined() ? req.getDeletebeforereplace() : undefined,
    ignoreChanges: req.getIgnorechangesList(),
    replaceOnChanges: req.getReplaceonchangesList(),
    importId: req.getImportid(),
    timeouts: {
      create: parseDuration(t?.getCreate() ?? ""),
      update: parseDuration(t?.getUpdate() ?? ""),
      delete: parseDuration(t?.getDelete() ?? ""),
    },
  };
}

type Callback<T> = (err: Partial<grpc.ServiceError> | null, res?: T) => void;
type Call<Req> = { request: Req };

/** A running monitor/engine server. */
export class MonitorServer {
  private readonly inflight = new Set<Promise<unknown>>();
  private rootUrn = "";

  private constructor(
    private readonly server: grpc.Server,
    readonly address: string,
  ) {}

  static async start(handler: MonitorHandler): Promise<MonitorServer> {
    const server = new grpc.Server(GRPC_OPTIONS);
    // eslint-disable-next-line prefer-const -- assigned once the server is bound; the closures below are made before
    let self: MonitorServer | undefined;
    const track = <T>(p: Promise<T>): Promise<T> => {
      self!.inflight.add(p);
      const done = () => self!.inflight.delete(p);
      p.then(done, done);
      return p;
    };
    const monitor = {
      supportsFeature(_call: Call<resproto.SupportsFeatureRequest>, cb: Callback<resproto.SupportsFeatureResponse>) {
        cb(null, new resproto.SupportsFeatureResponse().setHassupport(false));
      },
      registerResource(call: Call<resproto.RegisterResourceRequest>, cb: Callback<resproto.RegisterResourceResponse>) {
        let reg: Registration;
        try {
          reg = toRegistration(call.request);
        } catch (err) {
          cb({ code: grpc.status.INVALID_ARGUMENT, details: String(err) });
          return;
        }
        track(handler.registerResource(reg)).then(
          (r) => {
            const res = new resproto.RegisterResourceResponse();
            res.setUrn(r.urn).setId(r.id).setObject(toStruct(r.object));
            cb(null, res);
          },
          (err: unknown) => cb({ code: grpc.status.UNKNOWN, details: err instanceof Error ? err.message : String(err) }),
        );
      },
      registerResourceOutputs(call: Call<resproto.RegisterResourceOutputsRequest>, cb: Callback<Empty>) {
        handler.registerResourceOutputs(call.request.getUrn(), fromStruct(call.request.getOutputs()));
        cb(null, new Empty());
      },
      signalAndWaitForShutdown(_call: Call<Empty>, cb: Callback<Empty>) {
        void self!.drain().then(() => cb(null, new Empty()));
      },
    };
    const engine = {
      log(call: Call<engproto.LogRequest>, cb: Callback<Empty>) {
        const r = call.request;
        handler.log(SEVERITIES[r.getSeverity()] ?? "info", r.getMessage(), r.getUrn());
        cb(null, new Empty());
      },
      getRootResource(_call: Call<engproto.GetRootResourceRequest>, cb: Callback<engproto.GetRootResourceResponse>) {
        cb(null, new engproto.GetRootResourceResponse().setUrn(self!.rootUrn));
      },
      setRootResource(call: Call<engproto.SetRootResourceRequest>, cb: Callback<engproto.SetRootResourceResponse>) {
        self!.rootUrn = call.request.getUrn();
        cb(null, new engproto.SetRootResourceResponse());
      },
    };
    server.addService(resrpc.ResourceMonitorService, monitor as unknown as grpc.UntypedServiceImplementation);
    server.addService(engrpc.EngineService, engine as unknown as grpc.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    self = new MonitorServer(server, `127.0.0.1:${port}`);
    return self;
  }

  /** Waits until every registration received so far has been answered (including ones arriving meanwhile). */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  stop(): void {
    this.server.forceShutdown();
  }
}
