import { Libvirt } from "../../libvirt";
import { ResourceInputError } from "../provider";

/**
 * What the host's accelerator is, from its capabilities: xen on a Xen host (libxl); kvm where libvirt offers
 * `<domain type='kvm'>` (it does only when /dev/kvm is usable) and the host CPU has vmx or svm; else qemu
 * (TCG, software emulation). A host whose /dev/kvm is missing, or present without hardware virtualisation
 * (seen on paravirtual sandboxes: guests start and never run), is a qemu host.
 */
export async function hostAccelerator(lv: Libvirt): Promise<"xen" | "kvm" | "qemu"> {
  if ((await lv.host.getType()).toLowerCase() === "xen") return "xen";
  return kvmUsable(await lv.host.getCapabilities()) ? "kvm" : "qemu";
}

/** KVM is usable: offered as a domain type and the host CPU (not a guest section) has vmx/svm. */
export function kvmUsable(caps: string): boolean {
  const hostCpu = /<host>[\s\S]*?<\/cpu>/.exec(caps)?.[0] ?? "";
  return /<domain type='kvm'/.test(caps) && /<feature name='(vmx|svm)'\/>/.test(hostCpu);
}

/**
 * The domain type to define: "auto" resolved by {@link hostAccelerator}; an explicit "kvm" checked on a QEMU
 * host (before anything is defined), so a host without KVM fails with what to do rather than libvirt's
 * "accel 'kvm' is not supported" at define, or a guest that never runs; other types as given.
 */
export async function resolveType(lv: Libvirt, requested: string, who = "virt:Domain"): Promise<string> {
  if (requested === "auto") return hostAccelerator(lv);
  if (requested !== "kvm" || (await lv.host.getType()).toUpperCase() !== "QEMU") return requested;
  const caps = await lv.host.getCapabilities();
  if (kvmUsable(caps)) return "kvm";
  const why = /<domain type='kvm'/.test(caps)
    ? "libvirt offers kvm but the host CPU has no vmx/svm (hardware virtualisation is off or hidden)"
    : "libvirt offers no kvm domain type (no usable /dev/kvm)";
  throw new ResourceInputError(
    `${who}: type: "kvm" — this host (${lv.uri}) cannot run KVM guests: ${why}. ` +
      `Set type: "auto" (KVM where the host has it, else QEMU's software emulation) or type: "qemu".`,
  );
}
