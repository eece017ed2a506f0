/**
 * Captures the golden packets of test/fixtures/packets/: one short session of our client against the real local
 * libvirtd (qemu:///system), run through the packet proxy (test/support/rpc-proxy.ts), which records every packet
 * both ways. Each call and its reply are written, annotated field by field, to one fixture file.
 *
 *   npm run build && node dist/test/support/capture-packets.js [--out DIR]
 *
 * Needs root (or access to /var/run/libvirt/libvirt-sock). It defines one tiny shut-off domain, `pvt-golden-tiny`,
 * and undefines it again, also when a step fails. Nothing is written unless the whole session went as planned.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Libvirt } from "../../provider/libvirt/client";
import { GOLDEN_DOMAIN, GOLDEN_UUID, goldenSession } from "./golden-session";
import { RpcProxy } from "./rpc-proxy";
import { virshMaybe } from "../../tools/support/host";
import { annotate, formatLines, L, Layout, noteColumn } from "./packet-fixtures";

const URI = "qemu:///system";
const SOCKET = "/var/run/libvirt/libvirt-sock";

// ---------------------------------------------------------------------------------------------------------------
// How each structure reads, for the annotations: written from libvirt's remote_protocol.x (field names are the
// .x names), independently of the client's codecs in provider/libvirt/protocol/.

const named = (names: Record<number, string>) => (v: number) => (names[v] !== undefined ? names[v]! : "(unknown)");
const flagNames = (names: Record<number, string>) => (v: number) => {
  if (v === 0) return "(no flags)";
  const set = Object.entries(names)
    .filter(([bit]) => (v & Number(bit)) !== 0)
    .map(([, n]) => n);
  return `(${set.join(" | ")})`;
};
const version = (v: bigint) => `(${v / 1000000n}.${(v / 1000n) % 1000n}.${v % 1000n}: major × 1000000 + minor × 1000 + micro)`;

const remoteDomain = L.struct({
  name: L.string,
  uuid: L.uuid,
  id: L.int((v) => (v === -1 ? "(-1: not running, no id)" : "(the running domain's id)")),
});
const remoteNetwork = L.struct({ name: L.string, uuid: L.uuid });
const remoteError = L.struct({
  code: L.int(named({ 42: "VIR_ERR_NO_DOMAIN", 43: "VIR_ERR_NO_NETWORK", 55: "VIR_ERR_OPERATION_INVALID" })),
  domain: L.int(named({ 0: "VIR_FROM_NONE", 7: "VIR_FROM_RPC", 10: "VIR_FROM_QEMU", 12: "VIR_FROM_REMOTE", 13: "VIR_FROM_TEST" })),
  message: L.optional(L.string),
  level: L.int(named({ 0: "VIR_ERR_NONE", 1: "VIR_ERR_WARNING", 2: "VIR_ERR_ERROR" })),
  dom: L.optional(remoteDomain),
  str1: L.optional(L.string),
  str2: L.optional(L.string),
  str3: L.optional(L.string),
  int1: L.int(),
  int2: L.int(),
  net: L.optional(remoteNetwork),
});
const features = { 10: "VIR_DRV_FEATURE_PROGRAM_KEEPALIVE", 16: "VIR_DRV_FEATURE_NETWORK_UPDATE_HAS_CORRECT_ORDER" };
const listFlags = { 1: "ACTIVE", 2: "INACTIVE", 4: "PERSISTENT", 8: "TRANSIENT", 16: "RUNNING", 32: "PAUSED", 64: "SHUTOFF" };

const layouts: Record<string, { args: Layout; ret: Layout }> = {
  AUTH_LIST: { args: L.void, ret: L.struct({ types: L.array(L.int(named({ 0: "REMOTE_AUTH_NONE", 1: "REMOTE_AUTH_SASL", 2: "REMOTE_AUTH_POLKIT" }))) }) },
  CONNECT_OPEN: { args: L.struct({ name: L.optional(L.string), flags: L.uint(flagNames({ 1: "VIR_CONNECT_RO", 2: "VIR_CONNECT_NO_ALIASES" })) }), ret: L.void },
  CONNECT_SUPPORTS_FEATURE: {
    args: L.struct({ feature: L.int(named(features)) }),
    ret: L.struct({ supported: L.int(named({ 0: "(no)", 1: "(yes)" })) }),
  },
  CONNECT_GET_LIB_VERSION: { args: L.void, ret: L.struct({ lib_ver: L.uhyper(version) }) },
  CONNECT_GET_VERSION: { args: L.void, ret: L.struct({ hv_ver: L.uhyper(version) }) },
  CONNECT_GET_HOSTNAME: { args: L.void, ret: L.struct({ hostname: L.string }) },
  DOMAIN_LOOKUP_BY_NAME: { args: L.struct({ name: L.string }), ret: L.struct({ dom: remoteDomain }) },
  DOMAIN_DEFINE_XML_FLAGS: {
    args: L.struct({ xml: L.string, flags: L.uint(flagNames({ 1: "VIR_DOMAIN_DEFINE_VALIDATE" })) }),
    ret: L.struct({ dom: remoteDomain }),
  },
  DOMAIN_GET_INFO: {
    args: L.struct({ dom: remoteDomain }),
    ret: L.struct({
      state: L.uint((v) => `${named({ 1: "VIR_DOMAIN_RUNNING", 3: "VIR_DOMAIN_PAUSED", 5: "VIR_DOMAIN_SHUTOFF" })(v)} (an unsigned char, widened to 4 bytes)`),
      maxMem: L.uhyper(() => "KiB"),
      memory: L.uhyper(() => "KiB"),
      nrVirtCpu: L.uint(() => "(an unsigned short, widened to 4 bytes)"),
      cpuTime: L.uhyper(() => "ns"),
    }),
  },
  CONNECT_LIST_ALL_DOMAINS: {
    args: L.struct({
      need_results: L.int(() => "(1: send the domains, not only the count)"),
      flags: L.uint(flagNames(Object.fromEntries(Object.entries(listFlags).map(([k, n]) => [k, `VIR_CONNECT_LIST_DOMAINS_${n}`])))),
    }),
    ret: L.struct({ domains: L.array(remoteDomain), ret: L.uint(() => "(the number of domains)") }),
  },
  DOMAIN_UNDEFINE_FLAGS: {
    args: L.struct({ dom: remoteDomain, flags: L.uint(flagNames({ 1: "MANAGED_SAVE", 2: "SNAPSHOTS_METADATA", 4: "NVRAM" })) }),
    ret: L.void,
  },
  CONNECT_CLOSE: { args: L.void, ret: L.void },
};

/** Procedure numbers of the session, to name what the proxy saw (the fixture names them; the test checks them). */
const numbers: Record<number, string> = {
  66: "AUTH_LIST",
  1: "CONNECT_OPEN",
  60: "CONNECT_SUPPORTS_FEATURE",
  157: "CONNECT_GET_LIB_VERSION",
  4: "CONNECT_GET_VERSION",
  59: "CONNECT_GET_HOSTNAME",
  23: "DOMAIN_LOOKUP_BY_NAME",
  350: "DOMAIN_DEFINE_XML_FLAGS",
  16: "DOMAIN_GET_INFO",
  273: "CONNECT_LIST_ALL_DOMAINS",
  231: "DOMAIN_UNDEFINE_FLAGS",
  2: "CONNECT_CLOSE",
};

/** The file name (without NN-) and the first comment lines of each exchange. */
function describe(proc: string, call: Buffer, reply: Buffer): { slug: string; text: string[] } {
  const error = reply.readInt32BE(24) === 1;
  switch (proc) {
    case "AUTH_LIST":
      return { slug: "auth-list", text: ["The first call of every connection: which authentication the daemon wants (none, as root on the unix socket)."] };
    case "CONNECT_OPEN":
      return { slug: "connect-open", text: ["Opens the driver: the URI is sent as a remote_string (present flag, then the string); void reply."] };
    case "CONNECT_SUPPORTS_FEATURE": {
      const f = call.readInt32BE(28);
      return f === 10
        ? { slug: "supports-feature-keepalive", text: ["Handshake: asks for PROGRAM_KEEPALIVE (sent pipelined with the next call, serial after serial)."] }
        : {
            slug: "supports-feature-network-update-order",
            text: ["Handshake: does NETWORK_UPDATE take command before section (pipelined with the previous call)."],
          };
    }
    case "CONNECT_GET_LIB_VERSION":
      return { slug: "get-lib-version", text: ["The daemon's libvirt version, an unsigned hyper (64 bits) reply."] };
    case "CONNECT_GET_VERSION":
      return { slug: "get-version", text: ["The hypervisor's (QEMU's) version, an unsigned hyper (64 bits) reply."] };
    case "CONNECT_GET_HOSTNAME":
      return { slug: "get-hostname", text: ["The host's name, a string reply (varies per host; the fact `hostname` below is what it says)."] };
    case "DOMAIN_LOOKUP_BY_NAME":
      return {
        slug: error ? "lookup-missing-domain" : "lookup-domain",
        text: [`A lookup of a domain that does not exist: the reply is type REPLY with status ERROR and a remote_error body (VIR_ERR_NO_DOMAIN).`],
      };
    case "DOMAIN_DEFINE_XML_FLAGS":
      return { slug: "define-domain", text: ["Defines a tiny shut-off domain (fixed name and UUID); the reply is its remote_nonnull_domain handle."] };
    case "DOMAIN_GET_INFO":
      return { slug: "domain-get-info", text: ["virDomainGetInfo of the shut-off domain: three unsigned hypers (max memory, memory, CPU time)."] };
    case "CONNECT_LIST_ALL_DOMAINS":
      return {
        slug: "list-all-domains-inactive-persistent",
        text: [
          "Lists the inactive persistent domains (a filter in flags): an array of handles and a count.",
          "Other inactive domains present on the host at capture time are listed too.",
        ],
      };
    case "DOMAIN_UNDEFINE_FLAGS":
      return { slug: "undefine-domain", text: ["Removes the domain defined above; void reply."] };
    case "CONNECT_CLOSE":
      return { slug: "connect-close", text: ["Closes the connection; void reply, after which the daemon closes the socket."] };
    default:
      throw new Error(`no description for ${proc}`);
  }
}

interface Seen {
  direction: "up" | "down";
  packet: Buffer;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const outAt = argv.indexOf("--out");
  const out = resolve(outAt !== -1 && argv[outAt + 1] ? argv[outAt + 1]! : join(__dirname, "..", "..", "..", "test", "fixtures", "packets"));
  if (!existsSync(SOCKET)) throw new Error(`no libvirt socket at ${SOCKET}: is libvirtd running?`);
  // A leftover of an interrupted capture (virsh: the C client, so the capture stays our client's session only).
  virshMaybe(URI, "undefine", GOLDEN_DOMAIN);

  const dir = mkdtempSync(join(tmpdir(), "pvt-golden-"));
  const proxy = new RpcProxy(dir, SOCKET);
  const seen: Seen[] = [];
  proxy.tap = (direction, packet) => seen.push({ direction, packet });
  await proxy.start();
  let facts: Record<string, string> = {};
  try {
    const lv = await Libvirt.connect(proxy.uri(URI));
    try {
      facts = await goldenSession(lv);
    } finally {
      await lv.close();
    }
  } finally {
    await proxy.stop();
    rmSync(dir, { recursive: true, force: true });
    if (virshMaybe(URI, "dominfo", GOLDEN_DOMAIN) !== null) {
      virshMaybe(URI, "undefine", GOLDEN_DOMAIN);
      console.error(`${GOLDEN_DOMAIN} was still defined after the session: removed with virsh`);
    }
  }

  // Pair every call with its reply by serial, in call order.
  const calls = seen.filter((s) => s.direction === "up");
  const replies = new Map<number, Seen>();
  for (const s of seen) {
    const program = s.packet.readUInt32BE(4);
    if (program !== 0x20008086) throw new Error(`a packet of program 0x${program.toString(16)} (keepalive?) interleaved: capture again`);
    if (s.direction === "down") {
      if (s.packet.readInt32BE(16) !== 1) throw new Error(`a daemon packet of type ${s.packet.readInt32BE(16)}, not REPLY: capture again`);
      replies.set(s.packet.readUInt32BE(20), s);
    }
  }
  if (replies.size !== calls.length) throw new Error(`${calls.length} calls but ${replies.size} replies`);

  const when = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (/^\d\d-.*\.txt$/.test(f)) rmSync(join(out, f));
  const order = (p: Buffer) => seen.findIndex((s) => s.packet === p) + 1;
  calls.forEach((c, i) => {
    const serial = c.packet.readUInt32BE(20);
    const reply = replies.get(serial)!.packet;
    const proc = numbers[c.packet.readInt32BE(12)];
    if (proc === undefined) throw new Error(`procedure ${c.packet.readInt32BE(12)} has no layout`);
    const { slug, text } = describe(proc, c.packet, reply);
    const layout = layouts[proc]!;
    const error = reply.readInt32BE(24) === 1;
    const callLines = annotate(c.packet, proc, layout.args);
    const replyLines = annotate(reply, proc, error ? remoteError : layout.ret);
    const width = Math.max(noteColumn(callLines), noteColumn(replyLines));
    const name = `${String(i + 1).padStart(2, "0")}-${slug}.txt`;
    const lines = [
      `# REMOTE_PROC_${proc}: ${text[0]}`,
      ...text.slice(1).map((t) => `# ${t}`),
      "#",
      "# Captured from the real libvirtd by test/support/capture-packets.ts (see README.md here). Only the hex before",
      "# each '#' is data; annotations name the remote_protocol.x field and what its value means.",
      "#",
      `# fact captured: ${when}`,
      `# fact uri: ${URI}`,
      `# fact socket: ${SOCKET}`,
      ...Object.entries(facts).map(([k, v]) => `# fact ${k}: ${v}`),
      `# fact domain: ${GOLDEN_DOMAIN} ${GOLDEN_UUID}`,
      "",
      `== call ${proc} serial ${serial} (packet ${order(c.packet)} of ${seen.length} in the session)`,
      formatLines(callLines, width),
      "",
      `== reply ${proc} serial ${serial} ${error ? "error" : "ok"} (packet ${order(reply)} of ${seen.length} in the session)`,
      formatLines(replyLines, width),
      "",
    ];
    writeFileSync(join(out, name), lines.join("\n"));
    console.log(`${name}: call ${c.packet.length} bytes, reply ${reply.length} bytes${error ? " (error)" : ""}`);
  });
  console.log(`${calls.length} exchanges written to ${out} (libvirt ${facts["libvirt"]}, QEMU ${facts["qemu"]} on ${facts["hostname"]})`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
