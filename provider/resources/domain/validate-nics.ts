import { isUnknown } from "../../diff";
import type { CheckFailure, Props } from "../provider";

/**
 * A NIC's MAC must be unicast: the least significant bit of the first byte marks a group (multicast or
 * broadcast) address, which libvirt refuses only at define time with a schema error. Malformed MACs are refused
 * by the spec's format check.
 */
export function validateNicMacs(p: Props): CheckFailure[] {
  const nics = Array.isArray(p["networkInterfaces"]) ? (p["networkInterfaces"] as Record<string, unknown>[]) : [];
  const out: CheckFailure[] = [];
  nics.forEach((n, i) => {
    const mac = n?.["mac"];
    if (typeof mac !== "string" || isUnknown(mac) || !/^[0-9a-f]{2}:/i.test(mac)) return;
    if ((parseInt(mac.slice(0, 2), 16) & 1) === 1) {
      out.push({
        property: `networkInterfaces[${i}].mac`,
        reason: `networkInterfaces[${i}].mac: "${mac}" is a multicast address; a guest NIC has a unicast MAC (first byte even), e.g. 52:54:00:12:34:56`,
      });
    }
  });
  return out;
}
