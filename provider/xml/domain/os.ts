/**
 * `<os>` (with Xen's `<bootloader>`/`<bootloader_args>` beside it): build, parse and apply.
 */
import { XmlElement, XmlError } from "../document";
import { attr, child, children, element, ensureChild, insertChild, removeChildren, setAttr, setChildText, text, textElement } from "../tree";
import type { BootDevice, DomainLoader, DomainOs, OsType } from "./model";
import { DOMAIN_ORDER, OS_ORDER, before } from "./order";
import { yesNo } from "./util";

const OS_TYPES = new Set(["hvm", "xen", "xenpvh", "linux"]);

/** "linux" is libvirt's old name for Xen PV: the same as "xen". */
export function canonicalOsType(t: string): string {
  return t === "linux" ? "xen" : t;
}

/**
 * Whether a machine type read back (`actual`) is what was declared: equal, or the versioned form libvirt
 * expands an alias to ("pc" → "pc-i440fx-7.2", "q35" → "pc-q35-7.2", "virt" → "virt-7.2").
 */
export function sameMachine(declared: string, actual: string): boolean {
  if (declared === actual) return true;
  const base = declared === "pc" ? "pc-i440fx" : declared === "q35" ? "pc-q35" : declared;
  return actual.startsWith(`${base}-`) && /^\d+(\.\d+)*$/.test(actual.slice(base.length + 1));
}

/** Reads `<os>` and the bootloader elements of `<domain>`. */
export function parseOs(root: XmlElement, where: string): DomainOs {
  const os = child(root, "os");
  const typeEl = child(os ?? element("os"), "type");
  const raw = text(typeEl) ?? (child(root, "bootloader") !== undefined ? "xen" : undefined);
  if (raw === undefined) throw new XmlError(`${where}: no <os><type>`);
  if (!OS_TYPES.has(raw)) throw new XmlError(`${where}: os type '${raw}' is not modelled (managed: hvm, xen, xenpvh, linux)`);
  const out: DomainOs = { type: canonicalOsType(raw) as OsType };
  const arch = attr(typeEl, "arch");
  if (arch !== undefined) out.arch = arch;
  const machine = attr(typeEl, "machine");
  if (machine !== undefined) out.machine = machine;
  if (os !== undefined) {
    const fw = attr(os, "firmware");
    if (fw !== undefined) out.firmware = fw as "bios" | "efi";
    for (const f of children(child(os, "firmware") ?? element("firmware"), "feature")) {
      const on = attr(f, "enabled") === "yes";
      if (attr(f, "name") === "secure-boot") out.secureBoot = on;
      if (attr(f, "name") === "enrolled-keys") out.enrolledKeys = on;
    }
    const loader = child(os, "loader");
    const loaderPath = text(loader);
    if (loader !== undefined && loaderPath !== undefined) {
      const l: DomainLoader = { path: loaderPath };
      const [type, ro, secure] = [attr(loader, "type"), attr(loader, "readonly"), attr(loader, "secure")];
      if (type !== undefined) l.type = type;
      if (ro !== undefined) l.readonly = ro === "yes";
      if (secure !== undefined) l.secure = secure === "yes";
      out.loader = l;
    }
    const nv = child(os, "nvram");
    if (nv !== undefined) {
      out.nvram = {};
      const p = text(nv);
      if (p !== undefined && p !== "") out.nvram.path = p;
      const tpl = attr(nv, "template");
      if (tpl !== undefined) out.nvram.template = tpl;
    }
    const boot = children(os, "boot").map((b) => attr(b, "dev") as BootDevice);
    if (boot.length > 0) out.boot = boot;
    for (const k of ["kernel", "initrd", "cmdline"] as const) {
      const v = text(child(os, k));
      if (v !== undefined) out[k] = v;
    }
  }
  const bl = text(child(root, "bootloader"));
  if (bl !== undefined) out.bootloader = bl;
  const bla = text(child(root, "bootloader_args"));
  if (bla !== undefined) out.bootloaderArgs = bla;
  return out;
}

/** The bootloader elements (they go before `<os>`). */
export function buildBootloader(os: DomainOs): XmlElement[] {
  const out: XmlElement[] = [];
  if (os.bootloader !== undefined) out.push(textElement("bootloader", os.bootloader));
  if (os.bootloaderArgs !== undefined) out.push(textElement("bootloader_args", os.bootloaderArgs));
  return out;
}

/** Builds `<os>`. */
export function buildOs(os: DomainOs): XmlElement {
  const el = element("os", { firmware: os.firmware }, [element("type", { arch: os.arch, machine: os.machine }, [os.type])]);
  const fw = firmwareElement(os);
  if (fw !== undefined) el.children.push(fw);
  if (os.loader !== undefined) el.children.push(loaderElement(os.loader));
  if (os.nvram !== undefined) el.children.push(element("nvram", { template: os.nvram.template }, os.nvram.path === undefined ? [] : [os.nvram.path]));
  for (const k of ["kernel", "initrd", "cmdline"] as const) {
    const v = os[k];
    if (v !== undefined) el.children.push(textElement(k, v));
  }
  for (const dev of os.boot ?? []) el.children.push(element("boot", { dev }));
  return el;
}

function firmwareElement(os: DomainOs): XmlElement | undefined {
  const feats: XmlElement[] = [];
  // libvirt writes the features sorted by name.
  if (os.enrolledKeys !== undefined) feats.push(element("feature", { enabled: yesNo(os.enrolledKeys), name: "enrolled-keys" }));
  if (os.secureBoot !== undefined) feats.push(element("feature", { enabled: yesNo(os.secureBoot), name: "secure-boot" }));
  return feats.length === 0 ? undefined : element("firmware", {}, feats);
}

function loaderElement(l: DomainLoader): XmlElement {
  return element("loader", { readonly: yesNo(l.readonly), secure: yesNo(l.secure), type: l.type }, [l.path]);
}

/**
 * Edits `<os>` and the bootloader elements. A new kind of guest (os type hvm ↔ xen/xenpvh) starts `<os>`
 * afresh; otherwise arch, machine (when it names what is there, see
 * {@link sameMachine}), loader and nvram left undefined keep libvirt's values; so does the boot order unless
 * `deviceBoot` (some device has a boot order). Everything else unknown (bootmenu, smbios, bios, acpi tables)
 * is kept.
 */
export function applyOs(root: XmlElement, os: DomainOs, deviceBoot: boolean): void {
  setChildText(root, "bootloader", os.bootloader, before(DOMAIN_ORDER, "bootloader"));
  setChildText(root, "bootloader_args", os.bootloaderArgs, before(DOMAIN_ORDER, "bootloader_args"));
  const cur = child(root, "os");
  if (cur !== undefined && canonicalOsType(text(child(cur, "type")) ?? "") !== canonicalOsType(os.type)) {
    // Another kind of guest (HVM ↔ PV/PVH): machine, firmware, loader, boot order belonged to the old one.
    cur.attrs = [];
    cur.children = buildOs(os).children;
  }
  const el = ensureChild(root, "os", { after: before(DOMAIN_ORDER, "os") });
  setAttr(el, "firmware", os.firmware);
  const type = ensureChild(el, "type", { after: [] });
  if (text(type) === undefined) type.children = [{ kind: "text", text: os.type }];
  if (os.arch !== undefined) setAttr(type, "arch", os.arch);
  if (os.machine !== undefined && !sameMachine(os.machine, attr(type, "machine") ?? "")) setAttr(type, "machine", os.machine);

  applyFirmwareFeatures(el, os);
  if (os.loader !== undefined) {
    const cur = child(el, "loader");
    const fresh = loaderElement(os.loader);
    if (cur === undefined) insertChild(el, fresh, before(OS_ORDER, "loader"));
    else {
      for (const [k, v] of fresh.attrs) setAttr(cur, k, v);
      if (text(cur) !== os.loader.path) cur.children = [{ kind: "text", text: os.loader.path }];
    }
  }
  if (os.nvram !== undefined) {
    const nv = ensureChild(el, "nvram", { after: before(OS_ORDER, "nvram") });
    if (os.nvram.template !== undefined) setAttr(nv, "template", os.nvram.template);
    if (os.nvram.path !== undefined && text(nv) !== os.nvram.path) nv.children = [{ kind: "text", text: os.nvram.path }];
  }
  for (const k of ["kernel", "initrd", "cmdline"] as const) setChildText(el, k, os[k], before(OS_ORDER, k));
  if (os.boot !== undefined || deviceBoot) {
    const want = os.boot ?? [];
    const cur = children(el, "boot").map((b) => attr(b, "dev"));
    if (cur.length !== want.length || cur.some((d, i) => d !== want[i])) {
      const at = el.children.findIndex((c) => c.kind === "element" && c.name === "boot");
      removeChildren(el, "boot");
      const nodes = want.map((dev) => element("boot", { dev }));
      if (at >= 0) el.children.splice(at, 0, ...nodes);
      else for (const n of nodes.reverse()) insertChild(el, n, before(OS_ORDER, "boot"));
    }
  }
}

function applyFirmwareFeatures(os: XmlElement, spec: DomainOs): void {
  const want: [string, boolean | undefined][] = [
    ["enrolled-keys", spec.enrolledKeys],
    ["secure-boot", spec.secureBoot],
  ];
  let fw = child(os, "firmware");
  if (fw === undefined && want.every(([, v]) => v === undefined)) return;
  fw ??= ensureChild(os, "firmware", { after: before(OS_ORDER, "firmware") });
  for (const [name, on] of want) {
    const f = children(fw, "feature").find((e) => attr(e, "name") === name);
    if (on === undefined) fw.children = fw.children.filter((c) => c !== f);
    else if (f === undefined) insertChild(fw, element("feature", { enabled: yesNo(on), name }));
    else setAttr(f, "enabled", yesNo(on));
  }
  if (fw.children.length === 0 && fw.attrs.length === 0) removeChildren(os, "firmware");
}
