/**
 * `<vcpu>`, `<cpu>` and `<features>`: build, parse and apply.
 */
import { XmlElement } from "../document";
import { attr, child, element, ensureChild, parseIntStrict, removeChildren, setAttr, setText, text, textElement } from "../tree";
import type { DomainCpu, DomainFeatures, DomainVcpu, XenFeatures } from "./model";
import { DOMAIN_ORDER, FEATURE_ORDER, before } from "./order";
import { onOff } from "./util";

/** Features that are on by being there (`<acpi/>`); libvirt's schema has no state for them. */
const PRESENCE = ["acpi", "apic", "pae", "viridian", "privnet"] as const;
/** Features with state='on'|'off'. */
const ON_OFF = ["hap", "pvspinlock", "vmport", "smm", "pmu", "vmcoreinfo"] as const;

export function parseVcpu(root: XmlElement, where: string): DomainVcpu {
  const el = child(root, "vcpu");
  const t = text(el);
  if (el === undefined || t === undefined) return { max: 1 };
  const v: DomainVcpu = { max: parseIntStrict(t, `${where} <vcpu>`) };
  const current = attr(el, "current");
  if (current !== undefined) v.current = parseIntStrict(current, `${where} <vcpu current>`);
  const placement = attr(el, "placement");
  if (placement !== undefined) v.placement = placement as DomainVcpu["placement"];
  return v;
}

export function buildVcpu(v: DomainVcpu): XmlElement {
  return element("vcpu", { placement: v.placement, current: v.current !== undefined && v.current !== v.max ? v.current : undefined }, [String(v.max)]);
}

/** Edits `<vcpu>`: count and current; placement left undefined keeps libvirt's (static). cpuset is kept. */
export function applyVcpu(root: XmlElement, v: DomainVcpu): void {
  const el = ensureChild(root, "vcpu", { after: before(DOMAIN_ORDER, "vcpu") });
  if (text(el) !== String(v.max)) setText(el, v.max);
  setAttr(el, "current", v.current !== undefined && v.current !== v.max ? v.current : undefined);
  if (v.placement !== undefined) setAttr(el, "placement", v.placement);
}

export function parseCpu(root: XmlElement): DomainCpu | undefined {
  const el = child(root, "cpu");
  if (el === undefined) return undefined;
  const cpu: DomainCpu = { mode: (attr(el, "mode") ?? "custom") as DomainCpu["mode"] };
  const model = text(child(el, "model"));
  if (model !== undefined) cpu.model = model;
  const check = attr(el, "check");
  if (check !== undefined) cpu.check = check as DomainCpu["check"];
  return cpu;
}

export function buildCpu(c: DomainCpu): XmlElement {
  const el = element("cpu", { mode: c.mode, match: c.mode === "custom" ? "exact" : undefined, check: c.check });
  if (c.model !== undefined) el.children.push(textElement("model", c.model));
  return el;
}

/**
 * Edits `<cpu>`. A new mode drops what belonged to the old one (match, model, vendor, features);
 * topology, NUMA cells and cache are kept. check left undefined keeps libvirt's.
 */
export function applyCpu(root: XmlElement, c: DomainCpu): void {
  const el = ensureChild(root, "cpu", { after: before(DOMAIN_ORDER, "cpu") });
  if ((attr(el, "mode") ?? "custom") !== c.mode) {
    setAttr(el, "mode", c.mode);
    setAttr(el, "match", c.mode === "custom" ? "exact" : undefined);
    for (const n of ["model", "vendor", "feature"]) removeChildren(el, n);
  }
  if (c.check !== undefined) setAttr(el, "check", c.check);
  if (c.model === undefined) removeChildren(el, "model");
  else if (text(child(el, "model")) !== c.model) {
    const m = ensureChild(el, "model", { after: [] });
    m.children = [{ kind: "text", text: c.model }];
  }
}

export function parseFeatures(root: XmlElement): DomainFeatures | undefined {
  const el = child(root, "features");
  if (el === undefined) return undefined;
  const f: DomainFeatures = {};
  for (const name of PRESENCE) if (child(el, name) !== undefined) f[name] = true;
  for (const name of ON_OFF) {
    const c = child(el, name);
    if (c !== undefined) f[name] = attr(c, "state") !== "off";
  }
  const xen = child(el, "xen");
  if (xen !== undefined) {
    const x: XenFeatures = {};
    const e820 = child(xen, "e820_host");
    if (e820 !== undefined) x.e820Host = attr(e820, "state") === "on";
    const pt = child(xen, "passthrough");
    if (pt !== undefined) {
      x.passthrough = attr(pt, "state") === "on";
      const mode = attr(pt, "mode");
      if (mode !== undefined) x.passthroughMode = mode as XenFeatures["passthroughMode"];
    }
    f.xen = x;
  }
  return f;
}

function xenElement(x: XenFeatures): XmlElement {
  const el = element("xen");
  if (x.e820Host !== undefined) el.children.push(element("e820_host", { state: onOff(x.e820Host) }));
  if (x.passthrough !== undefined) el.children.push(element("passthrough", { state: onOff(x.passthrough), mode: x.passthroughMode }));
  return el;
}

export function buildFeatures(f: DomainFeatures): XmlElement {
  const el = element("features");
  for (const name of FEATURE_ORDER) {
    if (name === "xen") {
      if (f.xen !== undefined) el.children.push(xenElement(f.xen));
      continue;
    }
    const on = (f as Record<string, boolean | undefined>)[name];
    if ((PRESENCE as readonly string[]).includes(name) && on === true) el.children.push(element(name));
    if ((ON_OFF as readonly string[]).includes(name) && on !== undefined) el.children.push(element(name, { state: on ? undefined : "off" }));
  }
  return el;
}

/**
 * Edits `<features>`: each modelled feature is made present, off or absent as declared; features we do not
 * model (hyperv, kvm, ioapic, gic, ...) and attributes of kept ones (apic eoi, smm tseg) are kept.
 */
export function applyFeatures(root: XmlElement, f: DomainFeatures): void {
  const el = ensureChild(root, "features", { after: before(DOMAIN_ORDER, "features") });
  for (const name of PRESENCE) {
    if (f[name] === true) ensureChild(el, name, { after: before(FEATURE_ORDER, name) });
    else removeChildren(el, name);
  }
  for (const name of ON_OFF) {
    const on = f[name];
    const cur = child(el, name);
    if (on === undefined) removeChildren(el, name);
    else if (cur === undefined) ensureChild(el, name, { after: before(FEATURE_ORDER, name) }).attrs = on ? [] : [["state", "off"]];
    else if ((attr(cur, "state") !== "off") !== on) setAttr(cur, "state", onOff(on));
  }
  if (f.xen === undefined) removeChildren(el, "xen");
  else {
    const x = ensureChild(el, "xen", { after: before(FEATURE_ORDER, "xen") });
    const fresh = xenElement(f.xen);
    for (const name of ["e820_host", "passthrough"]) {
      const want = child(fresh, name);
      if (want === undefined) removeChildren(x, name);
      else {
        const cur = ensureChild(x, name, { after: name === "passthrough" ? ["e820_host"] : [] });
        for (const [k, v] of want.attrs) setAttr(cur, k, v);
        if (name === "passthrough" && f.xen.passthroughMode === undefined) setAttr(cur, "mode", undefined);
      }
    }
  }
}
