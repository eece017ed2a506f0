/**
 * `<filesystem type='mount'>`: a host directory shared with the guest through virtiofs or 9p
 * (https://libvirt.org/formatdomain.html#filesystems). Matched by target tag.
 */
import { XmlElement, XmlError } from "../../document";
import { attr, child, element, ensureChild, removeChildren, setAttr } from "../../tree";
import { DeviceInfo, readInfo, setFlag } from "../util";

/** A shared directory. */
export interface DomainFilesystem extends DeviceInfo {
  /**
   * virtiofs: `<driver type='virtiofs'/>` (QEMU needs shared memory: `<memoryBacking><access mode='shared'/>`,
   * and virtiofsd on the host). 9p: virtio-9p; its `<driver type='path'|'handle'>` is kept as found.
   */
  driver: "virtiofs" | "9p";
  /** Directory on the host. */
  sourceDir: string;
  /** Mount tag the guest uses (`<target dir=...>`): the device's identity. */
  tag: string;
  /** passthrough, mapped, squash; unset: libvirt fills passthrough. */
  accessMode?: "passthrough" | "mapped" | "squash";
  readonly?: boolean;
}

/** Whether we model this `<filesystem>`: type mount (the default) with a source directory. */
export const isManagedFilesystem = (el: XmlElement): boolean => (attr(el, "type") ?? "mount") === "mount" && attr(child(el, "source"), "dir") !== undefined;
export const filesystemKey = (f: DomainFilesystem): string => f.tag;
export const filesystemElementKey = (el: XmlElement): string => attr(child(el, "target"), "dir") ?? "";

export function parseFilesystem(el: XmlElement, where: string): DomainFilesystem {
  const tag = attr(child(el, "target"), "dir");
  const dir = attr(child(el, "source"), "dir");
  if (tag === undefined || dir === undefined) throw new XmlError(`${where}: <filesystem> without <source dir> and <target dir>`);
  const fs: DomainFilesystem = { driver: attr(child(el, "driver"), "type") === "virtiofs" ? "virtiofs" : "9p", sourceDir: dir, tag };
  const mode = attr(el, "accessmode");
  if (mode !== undefined) fs.accessMode = mode as DomainFilesystem["accessMode"];
  if (child(el, "readonly") !== undefined) fs.readonly = true;
  return readInfo(el, fs);
}

export function buildFilesystem(f: DomainFilesystem): XmlElement {
  const el = element("filesystem", { type: "mount", accessmode: f.accessMode });
  if (f.driver === "virtiofs") el.children.push(element("driver", { type: "virtiofs" }));
  el.children.push(element("source", { dir: f.sourceDir }), element("target", { dir: f.tag }));
  if (f.readonly === true) el.children.push(element("readonly"));
  return el;
}

/** Edits a `<filesystem>`: driver kind, source, tag, access mode (when set) and readonly. Binary, cache and address are kept. */
export function applyFilesystem(el: XmlElement, f: DomainFilesystem): void {
  const wasVirtiofs = attr(child(el, "driver"), "type") === "virtiofs";
  if (f.driver === "virtiofs" && !wasVirtiofs) {
    removeChildren(el, "driver");
    el.children.unshift(element("driver", { type: "virtiofs" }));
  } else if (f.driver === "9p" && wasVirtiofs) {
    removeChildren(el, "driver");
    removeChildren(el, "binary"); // virtiofsd's options
  }
  if (f.accessMode !== undefined) setAttr(el, "accessmode", f.accessMode);
  setAttr(ensureChild(el, "source", { after: ["driver", "binary"] }), "dir", f.sourceDir);
  setAttr(ensureChild(el, "target", { after: ["driver", "binary", "source"] }), "dir", f.tag);
  setFlag(el, "readonly", f.readonly, ["driver", "binary", "source", "target"]);
}
