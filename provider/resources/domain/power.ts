import { DomainRef, DomainShutdownFlags, DomainState, Libvirt, OperationInvalidError } from "../../libvirt";
import { whileReconnecting } from "../retry";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Asks the guest to shut down (ACPI) and waits up to `timeoutSec`; then forces it off. A guest with no OS
 * ignores ACPI (libvirt returns success at once and nothing happens), so the force-off after the timeout is
 * what ends it. Returns how it stopped.
 */
export async function shutdownGracefully(lv: Libvirt, dom: DomainRef, timeoutSec: number): Promise<"shutdown" | "forced" | "already"> {
  // A daemon restart while we wait (the connection drops, then the socket is missing for a moment) is waited
  // out: the connection dials again on the next call, and the guest keeps running meanwhile.
  const call = <T>(fn: () => Promise<T>): Promise<T> => whileReconnecting(fn, 60000);
  if (!(await call(() => lv.domains.isActive(dom)))) return "already";
  try {
    await call(() => lv.domains.shutdown(dom, DomainShutdownFlags.DEFAULT));
  } catch (e) {
    if (!(e instanceof OperationInvalidError)) throw e; // stopped meanwhile
  }
  const deadline = Date.now() + timeoutSec * 1000;
  while (Date.now() < deadline) {
    if (!(await call(() => lv.domains.isActive(dom)))) return "shutdown";
    await sleep(200);
  }
  try {
    await call(() => lv.domains.destroy(dom));
  } catch (e) {
    if (!(e instanceof OperationInvalidError)) throw e;
  }
  return "forced";
}


export const stateName = (s: number): string =>
  Object.entries(DomainState).find(([, v]) => v === s)?.[0].toLowerCase() ?? `state-${s}`;
