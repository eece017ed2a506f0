import * as pulumi from "@pulumi/pulumi";
import { ConnectionArgs, forwarder, ownerInput } from "./provider";

const provider = forwarder("domain", "domain");
type In<T> = pulumi.Input<T>;

/** A disk or CD-ROM, matched by target device. Adding or removing one is live (hot-plug). */
export interface DomainDiskArgs {
  /** Target device (vda, sda, hdc, xvda); assigned from the bus when omitted, then kept stable. */
  target?: In<string>;
  /** "disk" (default), "cdrom" or "floppy". */
  device?: In<"disk" | "cdrom" | "floppy">;
  /** A volume by pool and name (a Volume's `pool` and `name` outputs). A CD-ROM's media changes live. */
  volume?: In<{ pool: In<string>; volume: In<string> }>;
  /** An image file on the host (a CD-ROM: an ISO; its media changes live). */
  file?: In<string>;
  /** A block device on the host. */
  block?: In<string>;
  /**
   * For a CD-ROM: any value that changes with the media's content under the same path (e.g. a CloudInitDisk's
   * `instanceId`); a change swaps the media live.
   */
  revision?: In<string>;
  /** virtio (disk default), sata (cdrom default), scsi, ide, usb; xen on Xen. */
  bus?: In<"virtio" | "scsi" | "sata" | "ide" | "xen" | "usb">;
  /** Image format; default: the volume's, or raw. */
  format?: In<string>;
  readonly?: In<boolean>;
  cache?: In<"default" | "none" | "writethrough" | "writeback" | "directsync" | "unsafe">;
  discard?: In<"ignore" | "unmap">;
  serial?: In<string>;
  /** Boot priority (1 first); not with os.boot. */
  bootOrder?: In<number>;
}

/** A network interface, matched by MAC. Adding or removing one is live (hot-plug); link state changes live. */
export interface DomainNicArgs {
  /** MAC address; generated once when omitted, then kept stable. */
  mac?: In<string>;
  /** A libvirt network by name (a Network's `name` output). */
  network?: In<string>;
  /** Or an existing host bridge. */
  bridge?: In<string>;
  /** Or macvtap on a host interface. */
  direct?: In<{ dev: In<string>; mode?: In<"vepa" | "bridge" | "private" | "passthrough"> }>;
  /** "virtio" (default), "e1000", ...; "netfront" on Xen. */
  model?: In<string>;
  /** "up" (default) or "down"; changes live. */
  linkState?: In<"up" | "down">;
}

/**
 * A custom metadata element (libvirt's `<metadata>`) in its own namespace, identified by `uri`. Adding,
 * changing or removing one is live and touches only that namespace.
 */
export interface DomainMetadataArgs {
  /** Namespace URI, absolute, e.g. "https://example.org/ns/app/1". One element per namespace. */
  uri: In<string>;
  /** Namespace prefix libvirt writes the element with, e.g. "app" (an XML name without a colon). */
  prefix: In<string>;
  /**
   * One XML element without a namespace prefix or xmlns on it, e.g. "<app><owner>ops</owner></app>";
   * compared in canonical form (whitespace between elements and attribute quoting do not count).
   */
  xml: In<string>;
}

export interface DomainArgs {
  /** The domain's name, unique on the host. A change replaces the domain. */
  name: In<string>;
  /** "auto" (default: xen on a Xen host, kvm where the CPU has vmx/svm, else qemu), "kvm", "qemu", "xen". A change replaces it. */
  type?: In<"auto" | "kvm" | "qemu" | "xen">;
  /** Title (live). */
  title?: In<string>;
  /** Description (live). */
  description?: In<string>;
  /** Custom metadata elements, one per namespace (live). Namespaces not listed (other tools') are left alone. */
  metadata?: In<In<DomainMetadataArgs>[]>;
  /** Memory at boot, the balloon's maximum: bytes or "2GiB". A change waits for a restart. */
  memory: In<number | string>;
  /** Balloon target, at most `memory`; default `memory`. Changes live. */
  currentMemory?: In<number | string>;
  /** vCPUs online, at most `maxVcpus`; default 1. Changes live (unplug may need a restart). */
  vcpus?: In<number>;
  /** vCPUs the domain can have; default `vcpus`. A change waits for a restart. */
  maxVcpus?: In<number>;
  /** The CPU the guest sees. A change waits for a restart. */
  cpu?: In<{ mode: In<"host-passthrough" | "host-model" | "custom" | "maximum">; model?: In<string> }>;
  /** How it boots. type, arch, firmware and secureBoot replace the domain; the rest waits for a restart. */
  os?: In<{
    type?: In<"hvm" | "xen" | "xenpvh">;
    arch?: In<string>;
    machine?: In<string>;
    firmware?: In<"bios" | "efi">;
    secureBoot?: In<boolean>;
    boot?: In<In<"hd" | "cdrom" | "network" | "fd">[]>;
    kernel?: In<string>;
    initrd?: In<string>;
    cmdline?: In<string>;
    bootloader?: In<string>;
  }>;
  /** Hypervisor features (acpi, apic, pae, hap, viridian, pvspinlock, vmport, smm, pmu). Waits for a restart. */
  features?: In<Record<string, In<boolean>>>;
  onPoweroff?: In<string>;
  onReboot?: In<string>;
  onCrash?: In<string>;
  disks?: In<In<DomainDiskArgs>[]>;
  networkInterfaces?: In<In<DomainNicArgs>[]>;
  /**
   * A graphical console; the password changes live. The whole `graphics` value is stored as a secret (in inputs
   * and outputs), like CloudInitDisk's `userData`, because it may hold the password.
   */
  graphics?: In<{ type: In<"vnc" | "spice">; listen?: In<string>; port?: In<number>; password?: In<string> }>;
  video?: In<"virtio" | "vga" | "qxl" | "cirrus" | "bochs" | "none">;
  /** A serial console: a pty, or a log file on the host. */
  serialConsole?: In<{ type: In<"pty" | "file">; path?: In<string> }>;
  /** Add the QEMU guest agent channel. */
  guestAgent?: In<boolean>;
  /** Add a virtio RNG. */
  rng?: In<boolean>;
  /** Add an emulated TPM 2.0. */
  tpm?: In<boolean>;
  /** Host directories shared with the guest. */
  filesystems?: In<In<{ type: In<"virtiofs" | "9p">; source: In<string>; target: In<string>; readonly?: In<boolean> }>[]>;
  /** Balloon device: "virtio" (default), "xen" on Xen, or "none". */
  memballoon?: In<"virtio" | "xen" | "none">;
  /** Raw device XML kept as given through every update (the escape hatch). */
  extraDevices?: In<In<string>[]>;
  /** Start at host boot. Default false. Live. */
  autostart?: In<boolean>;
  /** Desired power state, short form: true runs it, false shuts it down gracefully (= powerState "running" / "shutoff"). Default true. Live. */
  running?: In<boolean>;
  /**
   * Desired power state, applied live: "running" (started, or resumed with the same domain id), "paused" (vCPUs
   * stopped, memory kept: `virsh suspend`; created paused when new), "shutoff" (graceful shutdown, forced after
   * shutdownTimeout). Default: from `running`. Paused, resumed, started or stopped behind the stack is drift:
   * refresh reports it and up restores this state.
   */
  powerState?: In<"running" | "paused" | "shutoff">;
  /**
   * Any value; when it changes (also when removed) on a running domain, the domain is rebooted gracefully: ACPI
   * shutdown, forced off after shutdownTimeout, then started (new domain id). Never on any other change; on a
   * paused or shut-off domain only recorded. The plan says "rebooted".
   */
  rebootTrigger?: In<string>;
  /**
   * What deleting the domain does to its snapshots: "keep-data" (default) drops their metadata only (internal
   * snapshots stay inside the qcow2 images, external overlays stay as files); "delete" deletes every snapshot with
   * its data first, and fails the delete, naming the snapshot, where libvirt will not.
   */
  snapshotsOnDelete?: In<"keep-data" | "delete">;
  /** An explicit one-shot revert: when `trigger` changes, the domain is reverted to `snapshot` (its current state is discarded; the plan says so). */
  revert?: In<{ snapshot: In<string>; trigger: In<string> }>;
  /**
   * Any value; when it changes (also when removed) on a running or paused domain, the domain is reset (the reset
   * button: restarts at once, same process and id; unwritten guest data is lost). Never on any other change. The
   * plan says "reset".
   */
  resetTrigger?: In<string>;
  /** "pending" (default): restart-only changes wait and show in pendingRestart; "restart": restart now to apply them. */
  restartPolicy?: In<"pending" | "restart">;
  /** Seconds a graceful shutdown may take before a force-off. Default 60. */
  shutdownTimeout?: In<number>;
  /**
   * q35 machines: free PCIe root ports kept for hot-plug (one disk or NIC each). Made at create; an update tops
   * them up (effective at the next start). Default 4.
   */
  hotplugSlots?: In<number>;
  /** Seconds to wait for the guest to release a hot-unplugged device. Default 30. */
  hotplugTimeout?: In<number>;
  /** Keep the UEFI variable store on delete. Default false. */
  keepNvram?: In<boolean>;
  /**
   * Create (and an update that starts or restarts the domain) completes only when every NIC has an IPv4 address
   * (source "lease", the default: every NIC on a libvirt network; "agent" needs guestAgent; "arp": the host's ARP
   * table). `timeout` in seconds, default 300; a timeout fails naming the interface, and the domain stays recorded.
   * Refresh never waits. The addresses are in `addresses`.
   */
  waitForIp?: In<{ source?: In<"lease" | "agent" | "arp">; timeout?: In<number> }>;
  /**
   * Opt-in: when `connection` (the host) changes, move the domain instead of replacing it — the plan says
   * "migrated live from A to B". Running, mode "live" (default): peer-to-peer live migration, same UUID, the guest
   * keeps running; the writable disks' data is copied (`copyStorage`, default true) into volumes that must exist on
   * the destination first (declare each disk's Volume there with `followsDomain: true`). `maxDowntimeMs`: longest
   * switch-over pause; `bandwidthMiBs`: MiB/s limit; `timeoutSec` (default 600): then aborted, the domain keeps
   * running on the source and the update fails saying so. Mode "offline", or a stopped domain: defined on the
   * destination, disks copied, undefined on the source (started again if it ran). `destinationUri`: how the source
   * host's libvirtd reaches the destination (default: the new connection URI). Refused at plan time for host-local
   * devices and file disks or CD-ROMs whose path the destination lacks.
   */
  migration?: In<{
    mode?: In<"live" | "offline">;
    maxDowntimeMs?: In<number>;
    bandwidthMiBs?: In<number>;
    timeoutSec?: In<number>;
    copyStorage?: In<boolean>;
    destinationUri?: In<string>;
  }>;
  connection?: In<ConnectionArgs>;
  /** Take over an existing domain of this name. Default false. */
  adopt?: In<boolean>;
}

/** One interface's addresses (the `addresses` output). */
export interface DomainInterfaceAddresses {
  mac: string;
  /** The libvirt network it is on (absent for bridge/direct). */
  network?: string;
  ips: string[];
}

/**
 * A virtual machine whose changes are applied the least disruptive way libvirt allows: live where it can be,
 * else saved for the next boot and reported in `pendingRestart`. Only type, arch, firmware and name replace it.
 */
export class Domain extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  /** The domain's UUID. */
  declare readonly uuid: pulumi.Output<string>;
  /** The running domain's id (-1 when shut off). */
  declare readonly domainId: pulumi.Output<number>;
  /** running, shutoff, paused, ... */
  declare readonly state: pulumi.Output<string>;
  /** The power state as the host has it: running, paused or shutoff (drift from the declared one is restored by up). */
  declare readonly powerState: pulumi.Output<"running" | "paused" | "shutoff">;
  /** MAC addresses of the network interfaces, in order. */
  declare readonly macs: pulumi.Output<string[]>;
  /** The graphics port in use (-1 when not running). */
  declare readonly graphicsPort: pulumi.Output<number>;
  /** What the saved config has and the running domain does not yet (config-only changes, a refused vCPU unplug, devices still attached or not yet plugged). */
  declare readonly pendingRestart: pulumi.Output<string[]>;
  /** Memory the guest has now, in bytes (its balloon driver's report). */
  declare readonly actualMemory: pulumi.Output<number>;
  /** The hypervisor type used. */
  declare readonly resolvedType: pulumi.Output<string>;
  /** Whether the domain has a saved definition (false: made transient behind the stack; up defines it again). */
  declare readonly persistent: pulumi.Output<boolean>;
  /** NICs whose libvirt network is gone or not running (they have no link); empty when every network is there. */
  declare readonly networkProblems: pulumi.Output<string[]>;
  /** With waitForIp: each waited-for interface's addresses (IPv4 first). */
  declare readonly addresses: pulumi.Output<DomainInterfaceAddresses[]>;
  declare readonly uri: pulumi.Output<string>;

  constructor(name: string, args: DomainArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      {
        uuid: undefined, domainId: undefined, state: undefined, powerState: undefined, macs: undefined, graphicsPort: undefined, pendingRestart: undefined, actualMemory: undefined, resolvedType: undefined, persistent: undefined, networkProblems: undefined, addresses: undefined, uri: undefined,
        ...args,
        // The password sits inside graphics: Pulumi marks secrets per top-level property, so graphics is the secret.
        ...(args.graphics !== undefined ? { graphics: pulumi.secret(args.graphics) } : {}),
        __owner: ownerInput("Domain", name, opts),
      },
      { ...opts, additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "graphics"] },
      "virt",
      "Domain",
    );
  }
}
