/**
 * `<graphics>` (VNC and SPICE consoles) and `<video>` (the display adapter the guest sees).
 */
import { XmlElement, XmlError } from "../../document";
import { attr, child, children, element, ensureChild, insertChild, parseIntStrict, setAttr } from "../../tree";
import { DeviceInfo, intAttr, readInfo } from "../util";

/** A VNC or SPICE display. */
export interface DomainGraphics {
  type: "vnc" | "spice";
  /**
   * Fixed TCP port. Unset (or -1): libvirt picks a free one at start (`autoport='yes'`); the port it
   * picked is `livePort` in a running domain's XML.
   */
  port?: number;
  /** Address to listen on (`listen=` and `<listen type='address'>`); unset: the daemon's default (127.0.0.1). */
  listen?: string;
  /**
   * Password. Secret: libvirt only shows it in XML read with VIR_DOMAIN_XML_SECURE, so an update must start
   * from such XML or the password is lost.
   */
  passwd?: string;
  /** Keyboard layout (`keymap=`), e.g. "en-us". */
  keymap?: string;
  /** The port libvirt picked for an autoport display of a running domain. Read-only. */
  livePort?: number;
}

/** `<video><model type=...>`. */
export interface DomainVideo extends DeviceInfo {
  /** vga, cirrus, virtio, qxl, bochs, ramfb, xen, none. */
  model: string;
  /** Video RAM in bytes (libvirt's vram, a KiB count × 1024). Unset: libvirt fills the model's default. */
  vram?: number;
  /** Number of heads; unset: libvirt fills 1. */
  heads?: number;
}

const GRAPHICS = new Set(["vnc", "spice"]);
export const isManagedGraphics = (el: XmlElement): boolean => GRAPHICS.has(attr(el, "type") ?? "");

/** Graphics are matched by type and position among those of the same type ("vnc:0", "spice:0"). */
export function graphicsKeys(items: readonly DomainGraphics[]): string[] {
  return nthOfType(items.map((g) => g.type));
}
export function graphicsElementKeys(els: readonly XmlElement[]): string[] {
  return nthOfType(els.map((e) => attr(e, "type") ?? ""));
}
function nthOfType(types: string[]): string[] {
  const seen = new Map<string, number>();
  return types.map((t) => {
    const n = seen.get(t) ?? 0;
    seen.set(t, n + 1);
    return `${t}:${n}`;
  });
}

/** Reads one `<graphics>`. */
export function parseGraphics(el: XmlElement, where: string): DomainGraphics {
  const type = attr(el, "type");
  if (type !== "vnc" && type !== "spice") throw new XmlError(`${where}: graphics type '${type}' is not modelled (managed: vnc, spice)`);
  const g: DomainGraphics = { type };
  const port = intAttr(el, "port", `${where} graphics`);
  if (attr(el, "autoport") === "yes" || port === undefined || port === -1) {
    if (port !== undefined && port >= 0) g.livePort = port;
  } else g.port = port;
  const listen =
    attr(el, "listen") ??
    attr(
      children(el, "listen").find((l) => attr(l, "type") === "address"),
      "address",
    );
  if (listen !== undefined) g.listen = listen;
  const passwd = attr(el, "passwd");
  if (passwd !== undefined) g.passwd = passwd;
  const keymap = attr(el, "keymap");
  if (keymap !== undefined) g.keymap = keymap;
  return g;
}

/** Builds one `<graphics>`, in the form libvirt writes it back. */
export function buildGraphics(g: DomainGraphics): XmlElement {
  const auto = g.port === undefined || g.port === -1;
  const el = element("graphics", {
    type: g.type,
    port: g.type === "vnc" || !auto ? (auto ? -1 : g.port) : undefined,
    autoport: auto ? "yes" : "no",
    listen: g.listen,
    passwd: g.passwd,
    keymap: g.keymap,
  });
  if (g.listen !== undefined) el.children.push(element("listen", { type: "address", address: g.listen }));
  return el;
}

/**
 * Edits an existing `<graphics>`: port/autoport, listen address (attribute and `<listen type='address'>`),
 * password and keymap. Other attributes (passwdValidTo, connected, tlsPort) and children (channel, image,
 * gl) are kept.
 */
export function applyGraphics(el: XmlElement, g: DomainGraphics): void {
  setAttr(el, "type", g.type);
  if (g.port === undefined || g.port === -1) {
    // Already automatic: leave it (a running domain's XML carries the port libvirt picked).
    if (attr(el, "autoport") !== "yes") {
      if (attr(el, "port") !== undefined || g.type === "vnc") setAttr(el, "port", -1);
      setAttr(el, "autoport", "yes");
    }
  } else {
    setAttr(el, "port", g.port);
    setAttr(el, "autoport", "no");
  }
  if (g.listen === undefined) {
    setAttr(el, "listen", undefined);
    el.children = el.children.filter((c) => !(c.kind === "element" && c.name === "listen" && attr(c, "type") === "address"));
  } else {
    if (attr(el, "listen") !== g.listen) setAttr(el, "listen", g.listen);
    // One listen: an address replaces a network, socket or none listen.
    el.children = el.children.filter((c) => !(c.kind === "element" && c.name === "listen" && attr(c, "type") !== "address"));
    const l = children(el, "listen").find((c) => attr(c, "type") === "address");
    if (l === undefined) insertChild(el, element("listen", { type: "address", address: g.listen }), []);
    else setAttr(l, "address", g.listen);
  }
  setAttr(el, "passwd", g.passwd);
  setAttr(el, "keymap", g.keymap);
}

/** Reads one `<video>`; vram (KiB in the XML) becomes bytes. */
export function parseVideo(el: XmlElement, where: string): DomainVideo {
  const m = child(el, "model");
  const v: DomainVideo = { model: attr(m, "type") ?? "default" };
  const vram = attr(m, "vram");
  if (vram !== undefined) v.vram = parseIntStrict(vram, `${where} video vram`) * 1024;
  const heads = intAttr(m, "heads", `${where} video`);
  if (heads !== undefined) v.heads = heads;
  return readInfo(el, v);
}

function vramKiB(v: DomainVideo): number | undefined {
  if (v.vram === undefined) return undefined;
  if (!Number.isSafeInteger(v.vram) || v.vram < 0 || v.vram % 1024 !== 0) throw new XmlError(`video vram: ${v.vram} bytes is not a whole number of KiB`);
  return v.vram / 1024;
}

/** Builds one `<video>`. */
export function buildVideo(v: DomainVideo): XmlElement {
  return element("video", {}, [element("model", { type: v.model, vram: vramKiB(v), heads: v.heads })]);
}

/**
 * Edits an existing `<video>`. A new model type drops the old model's attributes (vram, heads, primary,
 * vgamem, ...), which libvirt fills in again; otherwise vram/heads left undefined keep libvirt's values.
 */
export function applyVideo(el: XmlElement, v: DomainVideo): void {
  const m = ensureChild(el, "model", { after: ["driver"] });
  if (attr(m, "type") !== v.model) {
    m.attrs = [["type", v.model]];
    m.children = [];
  }
  if (v.vram !== undefined) setAttr(m, "vram", vramKiB(v));
  if (v.heads !== undefined) setAttr(m, "heads", v.heads);
}
