import { DomainRef, DomainShutdownFlags, DomainState, Libvirt, OperationInvalidError } from "../../libvirt";
import { containsUnknown } from "../../diff";
import { clock } from "../clock";
import type { CheckFailure, Props } from "../provider";
import { whileReconnecting } from "../retry";

export type PowerState = "running" | "paused" | "shutoff";

/** The declared power state: `powerState`, else from `running` (default running). */
export function powerTarget(p: Props): PowerState {
  const s = p["powerState"];
  if (s === "running" || s === "paused" || s === "shutoff") return s;
  return p["running"] === false ? "shutoff" : "running";
}

/** The power state libvirt reports, in the input's words (crashed counts as shut off; pmsuspended as paused). */
export function powerStateOf(state: number): PowerState {
  if (state === DomainState.SHUTOFF || state === DomainState.CRASHED) return "shutoff";
  if (state === DomainState.PAUSED || state === DomainState.PMSUSPENDED) return "paused";
  return "running";
}

/** The domain's power state now, as libvirt reports it. */
export async function powerNow(lv: Libvirt, dom: DomainRef): Promise<PowerState> {
  return powerStateOf((await lv.domains.getState(dom)).state);
}

/** A power state in words for messages ("shut off", "paused", "running"). */
export const powerWords = (s: PowerState): string => (s === "shutoff" ? "shut off" : s);

/**
 * Check: `running` and `powerState` must agree when both are declared; then both are filled (powerState from
 * running, running from powerState), so the plan compares like with like. Mutates the inputs.
 */
export function normalisePower(inputs: Props, who: string): CheckFailure[] {
  const declared = inputs["powerState"];
  const running = inputs["running"];
  if (containsUnknown(declared) || containsUnknown(running)) return [];
  if (declared !== undefined && running !== undefined && (running === false) !== (declared === "shutoff")) {
    return [
      {
        property: "powerState",
        reason:
          `${who}: powerState "${String(declared)}" contradicts running: ${String(running)}; declare one of them ` +
          `(running: false is powerState "shutoff", running: true is "running"; "paused" needs running left out or true)`,
      },
    ];
  }
  const target = powerTarget(inputs);
  inputs["powerState"] = target;
  inputs["running"] = target !== "shutoff";
  return [];
}

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
  // A paused guest cannot answer the power button: resumed first (a forced stop, timeout 0, needs no resume).
  if (timeoutSec > 0 && (await call(() => powerNow(lv, dom))) === "paused") await call(() => lv.domains.resume(dom));
  try {
    await call(() => lv.domains.shutdown(dom, DomainShutdownFlags.DEFAULT));
  } catch (e) {
    if (!(e instanceof OperationInvalidError)) throw e; // stopped meanwhile
  }
  const c = clock();
  const deadline = c.now() + timeoutSec * 1000;
  while (c.now() < deadline) {
    if (!(await call(() => lv.domains.isActive(dom)))) return "shutdown";
    await c.sleep(200);
  }
  try {
    await call(() => lv.domains.destroy(dom));
  } catch (e) {
    if (!(e instanceof OperationInvalidError)) throw e;
  }
  return "forced";
}

export const stateName = (s: number): string =>
  Object.entries(DomainState)
    .find(([, v]) => v === s)?.[0]
    .toLowerCase() ?? `state-${s}`;
