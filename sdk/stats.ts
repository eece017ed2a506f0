import * as pulumi from "@pulumi/pulumi";
import { domainStats } from "../provider/resources/domain/stats";
import type { BlockStats, DomainStats as Stats, NicStats } from "../provider/resources/domain/stats";
import { configuredUri } from "./provider";
import type { ConnectionArgs } from "./types";

export type DomainStats = Stats;
export type DomainBlockStats = BlockStats;
export type DomainNicStats = NicStats;

export interface GetDomainStatsArgs {
  /** The domain's name (e.g. a Domain's `name` output). */
  name: pulumi.Input<string>;
  /** Where it lives; default as for resources: stack config `virt:uri`, then `LIBVIRT_DEFAULT_URI`, then `qemu:///system` as root. */
  connection?: pulumi.Input<ConnectionArgs>;
}

/**
 * The live statistics of a domain, as `virsh domstats` shows them: CPU time, balloon, vCPUs, and each disk's and
 * NIC's counters (plus every raw field). Read when the program runs, over a connection opened for the call and
 * closed after; never part of any resource's state, so counters that move are not drift. Use it in a program, e.g.
 * `export const stats = virt.getDomainStats({ name: vm.name })`.
 */
export function getDomainStats(args: GetDomainStatsArgs): pulumi.Output<DomainStats> {
  const uri = configuredUri();
  // Unknown during a preview of a domain not created yet: apply does not run, nothing is read.
  return pulumi.output(args).apply((a) => domainStats(a.name, a.connection?.uri !== undefined ? { uri: a.connection.uri } : undefined, uri));
}
