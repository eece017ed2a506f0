/**
 * Small devices: `<rng>` (entropy), `<tpm>` and `<memballoon>`.
 */
import { XmlElement, XmlError } from "../../document";
import { attr, child, element, ensureChild, setAttr, setText, text } from "../../tree";
import { DeviceInfo, readInfo } from "../util";

/** A virtio RNG fed from the host. */
export interface DomainRng extends DeviceInfo {
  /** virtio (default), virtio-transitional, virtio-non-transitional. */
  model?: string;
  /** random: a host device; builtin: QEMU's own generator. */
  backend: "random" | "builtin";
  /** Host device of a random backend; unset: /dev/urandom (libvirt fills it in). */
  device?: string;
}

/** A TPM. */
export interface DomainTpm extends DeviceInfo {
  /** tpm-tis, tpm-crb, tpm-spapr, spapr-tpm-vio; unset: libvirt's default for the machine. */
  model?: string;
  /** emulator: swtpm (must be installed on the host, or define fails); passthrough: a host TPM. */
  backend: "emulator" | "passthrough";
  /** TPM version of an emulator: 1.2 or 2.0; unset: libvirt's default (2.0 for tpm-crb). */
  version?: string;
  /** Host device of a passthrough TPM (/dev/tpm0). */
  devicePath?: string;
}

/** The memory balloon. */
export interface DomainMemballoon extends DeviceInfo {
  /** virtio (QEMU), xen (Xen; libxl always adds one), none (no balloon: live memory changes fail). */
  model: string;
}

const RNG_BACKENDS = new Set(["random", "builtin"]);
export const isManagedRng = (el: XmlElement): boolean => RNG_BACKENDS.has(attr(child(el, "backend"), "model") ?? "");
const TPM_BACKENDS = new Set(["emulator", "passthrough"]);
export const isManagedTpm = (el: XmlElement): boolean => TPM_BACKENDS.has(attr(child(el, "backend"), "type") ?? "");

export function parseRng(el: XmlElement, where: string): DomainRng {
  const be = child(el, "backend");
  const backend = attr(be, "model");
  if (backend !== "random" && backend !== "builtin") throw new XmlError(`${where}: rng backend '${backend}' is not modelled (managed: random, builtin)`);
  const rng: DomainRng = { backend };
  const model = attr(el, "model");
  if (model !== undefined) rng.model = model;
  const dev = text(be);
  if (backend === "random" && dev !== undefined && dev !== "") rng.device = dev;
  return readInfo(el, rng);
}

export function buildRng(r: DomainRng): XmlElement {
  return element("rng", { model: r.model ?? "virtio" }, [
    element("backend", { model: r.backend }, r.backend === "random" && r.device !== undefined ? [r.device] : []),
  ]);
}

/** Edits an `<rng>`: model, backend and device. Rate limits, driver options and the address are kept. */
export function applyRng(el: XmlElement, r: DomainRng): void {
  if (r.model !== undefined) setAttr(el, "model", r.model);
  const be = ensureChild(el, "backend", { after: ["rate"] });
  if (attr(be, "model") !== r.backend) {
    be.attrs = [["model", r.backend]];
    be.children = [];
  }
  if (r.backend === "random" && r.device !== undefined && text(be) !== r.device) setText(be, r.device);
}

export function parseTpm(el: XmlElement, where: string): DomainTpm {
  const be = child(el, "backend");
  const backend = attr(be, "type");
  if (backend !== "emulator" && backend !== "passthrough")
    throw new XmlError(`${where}: tpm backend '${backend}' is not modelled (managed: emulator, passthrough)`);
  const tpm: DomainTpm = { backend };
  const model = attr(el, "model");
  if (model !== undefined) tpm.model = model;
  const version = attr(be, "version");
  if (version !== undefined) tpm.version = version;
  const path = attr(child(be ?? element("backend"), "device"), "path");
  if (path !== undefined) tpm.devicePath = path;
  return readInfo(el, tpm);
}

export function buildTpm(t: DomainTpm): XmlElement {
  const be = element("backend", { type: t.backend, version: t.version });
  if (t.devicePath !== undefined) be.children.push(element("device", { path: t.devicePath }));
  return element("tpm", { model: t.model }, [be]);
}

/** Edits a `<tpm>`: model, backend type, version and device. Emulator state options (persistent_state, encryption) are kept. */
export function applyTpm(el: XmlElement, t: DomainTpm): void {
  if (t.model !== undefined) setAttr(el, "model", t.model);
  const be = ensureChild(el, "backend", { after: [] });
  if (attr(be, "type") !== t.backend) {
    be.attrs = [["type", t.backend]];
    be.children = [];
  }
  if (t.version !== undefined) setAttr(be, "version", t.version);
  if (t.devicePath !== undefined) setAttr(ensureChild(be, "device", { after: [] }), "path", t.devicePath);
}

export function parseMemballoon(el: XmlElement): DomainMemballoon {
  const m: DomainMemballoon = { model: attr(el, "model") ?? "" };
  return readInfo(el, m);
}

export function buildMemballoon(m: DomainMemballoon): XmlElement {
  return element("memballoon", { model: m.model });
}

/** Edits `<memballoon>`: a new model drops the old one's options (stats period, driver), which belonged to it. */
export function applyMemballoon(el: XmlElement, m: DomainMemballoon): void {
  if (attr(el, "model") === m.model) return;
  el.attrs = [["model", m.model]];
  el.children = el.children.filter((c) => c.kind === "element" && c.name === "alias");
}
