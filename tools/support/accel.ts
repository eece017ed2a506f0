import { kvmUsable } from "../../provider/resources/domain/accel";
import { virsh } from "./host";

let cached: { type: "kvm" | "qemu"; why: string } | undefined;

/**
 * The accelerator that domains made by tests, benches and examples use on this host: "kvm" where KVM works,
 * else "qemu" (TCG). The same rule as a Domain's `type: "auto"`, read from qemu:///system's capabilities once
 * per process. Nothing is skipped for lack of KVM: the same assertions run on both.
 */
export function accelerator(): { type: "kvm" | "qemu"; why: string } {
  if (cached !== undefined) return cached;
  const caps = virsh("qemu:///system", "capabilities");
  cached = kvmUsable(caps)
    ? { type: "kvm", why: "KVM offered by libvirt and the host CPU has vmx/svm" }
    : { type: "qemu", why: /<domain type='kvm'/.test(caps) ? "TCG: the host CPU has no vmx/svm" : "TCG: libvirt offers no kvm (no usable /dev/kvm)" };
  return cached;
}

/** The domain type for tests on qemu:///system ("kvm" or "qemu"). */
export const ACCEL = (): "kvm" | "qemu" => accelerator().type;
