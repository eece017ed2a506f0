/**
 * Client for the real dynamic-provider plugin, `@pulumi/pulumi/cmd/dynamic-provider`, started the way the CLI's
 * bundled `pulumi-resource-pulumi-nodejs` script starts it: `node <cmd/dynamic-provider> <engine address>` with
 * cwd = the program directory (closures' `require`s resolve from there). The plugin writes its gRPC port as the
 * first stdout line; every later line, and all of stderr, is provider output that the CLI shows to users.
 *
 * The engine address argument is required by the plugin but never dialled by it.
 */
import { Child, OutputLine, childEnv, spawnNode } from "./processes";
import { DiffChanges, GRPC_OPTIONS, JsonMap, fromStruct, grpc, provproto, provrpc, toStruct, unary } from "./proto";

/** Identity of the resource a call is about (the plugin reads only `urn`, but the engine sends all three). */
export interface Target {
  urn: string;
  type: string;
  name: string;
}

export interface CheckResult {
  inputs: JsonMap;
  failures: { property: string; reason: string }[];
}

export interface DiffResult {
  /** One of `DiffChanges`. */
  changes: number;
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** What the plugin sent in `stables`/`diffs` (the dynamic plugin sends neither; kept to observe that). */
  stables: string[];
  diffs: string[];
}

export interface PluginOptions {
  programDir: string;
  project: string;
  /** Configure args: the full stack config, as the engine sends it to dynamic providers. */
  config: Record<string, string>;
  /** Address passed as the plugin's argument. */
  engineAddress: string;
  /** Extra environment for the plugin. */
  env?: Record<string, string>;
  onOutput: (line: OutputLine) => void;
}

/** Seconds, as `CreateRequest.timeout` etc. expect; 0 = provider default. */
export type TimeoutSeconds = number;

export class DynamicPlugin {
  private constructor(
    private readonly child: Child,
    private readonly client: grpc.Client,
    /** Milliseconds from spawn to the port announcement plus Configure. */
    readonly startMs: number,
  ) {}

  /** Spawns the plugin, waits for its port, connects and sends Configure. */
  static async start(opts: PluginOptions): Promise<DynamicPlugin> {
    const t0 = Date.now();
    const script = require.resolve("@pulumi/pulumi/cmd/dynamic-provider", { paths: [opts.programDir] });
    let announce: (port: string) => void = () => undefined;
    const portLine = new Promise<string>((resolve) => (announce = resolve));
    let sawPort = false;
    const child = spawnNode(
      [script, opts.engineAddress],
      {
        cwd: opts.programDir,
        // pkg/host/host.go gives a plugin only the config of its own namespace: none for pulumi-nodejs.
        env: childEnv({
          PULUMI_NODEJS_PROJECT: opts.project,
          PULUMI_PROJECT: opts.project,
          PULUMI_CONFIG: "{}",
          ...opts.env,
        }),
      },
      (line) => {
        if (!sawPort && line.stream === "stdout") {
          sawPort = true;
          announce(line.text.trim());
          return;
        }
        opts.onOutput(line);
      },
    );
    const port = await Promise.race([
      portLine,
      child.exited.then((code) => {
        throw new Error(`dynamic-provider plugin exited with code ${code} before announcing its port`);
      }),
    ]);
    if (!/^\d+$/.test(port)) {
      await child.kill();
      throw new Error(`dynamic-provider plugin announced ${JSON.stringify(port)} instead of a port`);
    }
    const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), GRPC_OPTIONS);
    const req = new provproto.ConfigureRequest();
    req.setArgs(toStruct(opts.config));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setSendsOldInputs(true);
    req.setSendsOldInputsToDelete(true);
    req.setType("pulumi:providers:pulumi-nodejs");
    req.setName("default");
    try {
      await unary(client, "configure", req);
    } catch (err) {
      client.close();
      await child.kill();
      throw err;
    }
    return new DynamicPlugin(child, client, Date.now() - t0);
  }

  /** Closes the channel and kills the plugin process. */
  async stop(): Promise<void> {
    this.client.close();
    await this.child.kill();
  }

  async check(t: Target, olds: JsonMap, news: JsonMap): Promise<CheckResult> {
    const req = new provproto.CheckRequest();
    req.setUrn(t.urn).setType(t.type).setName(t.name);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    const res = await unary<provproto.CheckRequest, provproto.CheckResponse>(this.client, "check", req);
    return {
      inputs: fromStruct(res.getInputs()),
      failures: res.getFailuresList().map((f) => ({ property: f.getProperty(), reason: f.getReason() })),
    };
  }

  /** `olds` are the old *outputs* (what the engine sends), `oldInputs` the old inputs. */
  async diff(t: Target, id: string, olds: JsonMap, news: JsonMap, oldInputs: JsonMap, ignoreChanges: string[]): Promise<DiffResult> {
    const req = new provproto.DiffRequest();
    req.setUrn(t.urn).setType(t.type).setName(t.name).setId(id);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    req.setOldInputs(toStruct(oldInputs));
    req.setIgnorechangesList(ignoreChanges);
    const res = await unary<provproto.DiffRequest, provproto.DiffResponse>(this.client, "diff", req);
    const changes = res.getChanges();
    return {
      changes: changes === DiffChanges.NONE || changes === DiffChanges.SOME ? changes : DiffChanges.UNKNOWN,
      replaces: res.getReplacesList(),
      deleteBeforeReplace: res.getDeletebeforereplace(),
      stables: res.getStablesList(),
      diffs: res.getDiffsList(),
    };
  }

  async create(t: Target, inputs: JsonMap, timeout: TimeoutSeconds): Promise<{ id: string; outputs: JsonMap }> {
    const req = new provproto.CreateRequest();
    req.setUrn(t.urn).setType(t.type).setName(t.name).setTimeout(timeout);
    req.setProperties(toStruct(inputs));
    const res = await unary<provproto.CreateRequest, provproto.CreateResponse>(this.client, "create", req);
    return { id: res.getId(), outputs: fromStruct(res.getProperties()) };
  }

  async update(t: Target, id: string, olds: JsonMap, news: JsonMap, oldInputs: JsonMap, ignoreChanges: string[], timeout: TimeoutSeconds): Promise<JsonMap> {
    const req = new provproto.UpdateRequest();
    req.setUrn(t.urn).setType(t.type).setName(t.name).setId(id).setTimeout(timeout);
    req.setOlds(toStruct(olds));
    req.setNews(toStruct(news));
    req.setOldInputs(toStruct(oldInputs));
    req.setIgnorechangesList(ignoreChanges);
    const res = await unary<provproto.UpdateRequest, provproto.UpdateResponse>(this.client, "update", req);
    return fromStruct(res.getProperties());
  }

  /** An empty `id` in the result means the object no longer exists. */
  async read(t: Target, id: string, outputs: JsonMap, inputs: JsonMap): Promise<{ id: string; outputs: JsonMap; inputs?: JsonMap }> {
    const req = new provproto.ReadRequest();
    req.setUrn(t.urn).setType(t.type).setName(t.name).setId(id);
    req.setProperties(toStruct(outputs));
    req.setInputs(toStruct(inputs));
    const res = await unary<provproto.ReadRequest, provproto.ReadResponse>(this.client, "read", req);
    const newInputs = res.getInputs();
    return { id: res.getId(), outputs: fromStruct(res.getProperties()), inputs: newInputs ? fromStruct(newInputs) : undefined };
  }

  async delete(t: Target, id: string, outputs: JsonMap, inputs: JsonMap, timeout: TimeoutSeconds): Promise<void> {
    const req = new provproto.DeleteRequest();
    req.setUrn(t.urn).setType(t.type).setName(t.name).setId(id).setTimeout(timeout);
    req.setProperties(toStruct(outputs));
    req.setOldInputs(toStruct(inputs));
    await unary(this.client, "delete", req);
  }
}
