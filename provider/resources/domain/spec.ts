import type { PropSpec, ResourceSpec } from "../../diff";

const str = (doc: string, update: PropSpec["update"], extra: Partial<PropSpec> = {}): PropSpec => ({ type: { kind: "string" }, doc, update, ...extra });
const bool = (doc: string, update: PropSpec["update"], extra: Partial<PropSpec> = {}): PropSpec => ({ type: { kind: "boolean" }, doc, update, ...extra });
const int = (doc: string, update: PropSpec["update"], min?: number, max?: number): PropSpec => ({
  type: { kind: "integer", ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) },
  doc,
  update,
});

export const DISK_BUSES = ["virtio", "scsi", "sata", "ide", "xen", "usb"] as const;
/** libvirt's "no limit" for memtune values (VIR_DOMAIN_MEMORY_PARAM_UNLIMITED, KiB). */
const MEMORY_UNLIMITED_KIB = 9007199254740991;
/** hotplugSlots when not declared. */
export const HOTPLUG_SLOTS = 4;
const LIFECYCLE = ["destroy", "restart", "preserve", "rename-restart", "coredump-destroy", "coredump-restart"] as const;

const disk: PropSpec = {
  type: {
    kind: "array",
    key: "target",
    items: {
      kind: "object",
      name: "DomainDisk",
      properties: {
        target: str("Target device (vda, sda, hdc, xvda). Assigned from the bus when omitted, then kept stable.", "live"),
        device: { type: { kind: "string", enum: ["disk", "cdrom", "floppy"] }, doc: "What the guest sees.", default: "disk", update: "config" },
        volume: {
          type: {
            kind: "object",
            properties: {
              pool: { type: { kind: "string", format: "name" }, doc: "Pool name.", required: true, update: "config" },
              volume: { type: { kind: "string", format: "name" }, doc: "Volume name.", required: true, update: "config" },
            },
          },
          doc: "A volume by pool and name (e.g. a Volume's `pool` and `name` outputs).",
          update: "config",
          updateWhen: [{ field: "device", equals: "cdrom", update: "live", verb: "media changed live" }],
        },
        file: {
          type: { kind: "string", format: "absolutePath" },
          doc: "An image file on the host (for a CD-ROM: an ISO).",
          update: "config",
          updateWhen: [{ field: "device", equals: "cdrom", update: "live", verb: "media changed live" }],
        },
        block: { type: { kind: "string", format: "absolutePath" }, doc: "A block device on the host.", update: "config" },
        revision: {
          type: { kind: "string" },
          doc: "For a CD-ROM: any value that changes with the media's content under the same path (e.g. a CloudInitDisk's `instanceId`); a change swaps the media live.",
          update: "config",
          updateWhen: [{ field: "device", equals: "cdrom", update: "live", verb: "media changed live" }],
        },
        bus: {
          type: { kind: "string", enum: DISK_BUSES },
          doc: "virtio, scsi, sata, ide, usb; xen for Xen guests. Default: virtio (disk), sata (cdrom), xen on Xen.",
          update: "config",
        },
        format: { type: { kind: "string" }, doc: "Image format (qcow2, raw); default: the volume's, or raw.", update: "config" },
        readonly: bool("Read-only for the guest (CD-ROMs always are).", "config"),
        cache: {
          type: { kind: "string", enum: ["default", "none", "writethrough", "writeback", "directsync", "unsafe"] },
          doc: "Host cache mode.",
          update: "config",
        },
        discard: { type: { kind: "string", enum: ["ignore", "unmap"] }, doc: "Pass discard (TRIM) to the image.", update: "config" },
        serial: str("Serial number the guest sees.", "config"),
        bootOrder: int("Boot priority (1 first); cannot be combined with os.boot.", "config", 1),
      },
    },
  },
  doc:
    "Disks and CD-ROMs, matched by target device. Adding or removing one is live (hot-plug); other disk changes wait for a restart, except a CD-ROM's media, which changes live. " +
    "A volume disk without a declared format follows its volume: when the volume is replaced by one of another format (its plan names this domain), the same up saves the new format (in effect at the next start).",
  update: "live",
  verb: "hot-plugged live",
  apply: { op: "hotplugDisk" },
};

const nic: PropSpec = {
  type: {
    kind: "array",
    key: "mac",
    items: {
      kind: "object",
      name: "DomainNic",
      properties: {
        mac: { type: { kind: "string", format: "mac" }, doc: "MAC address; generated once when omitted, then kept stable.", update: "live" },
        network: { type: { kind: "string", format: "name" }, doc: "A libvirt network by name (e.g. a Network's `name` output).", update: "config" },
        bridge: { type: { kind: "string", format: "bridgeName" }, doc: "Or an existing host bridge.", update: "config" },
        direct: {
          type: {
            kind: "object",
            properties: {
              dev: { type: { kind: "string", format: "bridgeName" }, doc: "Host interface.", required: true, update: "config" },
              mode: { type: { kind: "string", enum: ["vepa", "bridge", "private", "passthrough"] }, doc: "macvtap mode.", default: "bridge", update: "config" },
            },
          },
          doc: "Or macvtap on a host interface.",
          update: "config",
        },
        model: str('NIC model: "virtio" (default), "e1000", ...; "netfront" on Xen.', "config"),
        linkState: { type: { kind: "string", enum: ["up", "down"] }, doc: "Link state the guest sees.", default: "up", update: "live", verb: "set live" },
      },
    },
  },
  doc: "Network interfaces, matched by MAC. Adding or removing one is live (hot-plug); the link state changes live; the rest waits for a restart.",
  update: "live",
  verb: "hot-plugged live",
  apply: { op: "hotplugInterface" },
};

/**
 * Custom `<metadata>` elements, keyed by namespace URI: each namespace is set or removed on its own with
 * virDomainSetMetadata (type ELEMENT), so elements other tools keep in other namespaces are never touched.
 */
const metadata: PropSpec = {
  type: {
    kind: "array",
    key: "uri",
    items: {
      kind: "object",
      name: "DomainMetadata",
      properties: {
        uri: str("Namespace URI, absolute (e.g. `https://example.org/ns/app/1`); identifies the element, one per namespace.", "live", { required: true }),
        prefix: str('Namespace prefix libvirt writes the element with (e.g. "app"): an XML name without a colon.', "live", {
          required: true,
          verb: "set live",
        }),
        xml: str(
          "One XML element without a namespace prefix or xmlns declaration on it, e.g. `<app><owner>ops</owner></app>`; libvirt puts it in the namespace. " +
            "Compared in canonical form (whitespace between elements, attribute quoting and namespace declarations do not count).",
          "live",
          { required: true, verb: "set live" },
        ),
      },
    },
  },
  doc:
    "Custom metadata elements (libvirt's `<metadata>`), one per namespace URI. Adding, changing or removing one is live " +
    "(running domain and config) and touches only that namespace; elements in namespaces not listed here (other tools') are kept and not reported.",
  update: "live",
  verb: "set live",
  apply: { op: "metadata", persists: true },
};

/** virt:Domain — the spec table. */
export const domainSpec: ResourceSpec = {
  token: "virt:Domain",
  className: "Domain",
  module: "domain",
  doc:
    "A virtual machine. Each change is applied the least disruptive way libvirt allows: live on the running domain " +
    "and in its config where possible (memory balloon, vCPUs, hot-plugged disks and NICs, CD-ROM media, link state, " +
    "graphics password, autostart, power state), else saved in the config and reported in `pendingRestart` until the " +
    'next boot (or applied now by a graceful restart with `restartPolicy: "restart"`). Only type, arch, firmware and ' +
    "name replace the domain. Deleting shuts it down gracefully, then forces it off, and undefines it; volumes are " +
    "separate resources and are never deleted here.",
  inputs: {
    name: { type: { kind: "string", format: "name" }, doc: "The domain's name, unique on the host.", required: true, update: "replace" },
    type: {
      type: { kind: "string", enum: ["auto", "kvm", "qemu", "xen"] },
      doc: "Hypervisor: kvm, qemu (software emulation), xen, or auto: xen on a Xen host, kvm where the host CPU has vmx/svm and KVM is offered, else qemu.",
      default: "auto",
      update: "replace",
    },
    title: str("Short title shown by virsh and virt-manager.", "live", { verb: "set live", apply: { op: "setTitle", persists: true } }),
    description: str("Free-form description.", "live", { verb: "set live", apply: { op: "setDescription", persists: true } }),
    metadata: metadata,
    memory: {
      type: { kind: "size", min: 16 * 1024 * 1024 },
      doc: 'Memory at boot (the maximum the balloon can give), e.g. "2GiB".',
      required: true,
      update: "config",
    },
    currentMemory: {
      type: { kind: "size", min: 16 * 1024 * 1024 },
      doc: "Balloon target, at most `memory`; default: `memory`.",
      update: "live",
      verb: "ballooned live",
      apply: { op: "setMemory", persists: true },
    },
    memtune: {
      type: {
        kind: "object",
        properties: {
          hardLimit: {
            type: { kind: "size", min: 1024 },
            doc: "The most host memory the domain's QEMU process may use (guest RAM and QEMU's own); past it the host's OOM killer ends the process. Leave room above `memory`.",
            update: "live",
            verb: "set live",
            xml: { path: "memtune/hard_limit", scale: 1024 },
            tune: { family: "memory", field: "hard_limit", type: "ullong", unset: MEMORY_UNLIMITED_KIB },
          },
          softLimit: {
            type: { kind: "size", min: 1024 },
            doc: "The memory the host reclaims the process down to when the host is short of memory.",
            update: "live",
            verb: "set live",
            xml: { path: "memtune/soft_limit", scale: 1024 },
            tune: { family: "memory", field: "soft_limit", type: "ullong", unset: MEMORY_UNLIMITED_KIB },
          },
        },
      },
      doc:
        "Host memory limits of the domain's process (`<memtune>`, `virsh memtune`), changed live on a running domain and in its config. " +
        "A limit removed from here is lifted (unlimited); not declaring memtune leaves whatever the host has.",
      update: "live",
      verb: "set live",
    },
    cputune: {
      type: {
        kind: "object",
        properties: {
          shares: {
            type: { kind: "integer", min: 2, max: 262144 },
            doc: "The domain's relative share of host CPU time against other domains (`virsh schedinfo cpu_shares`; on cgroup v2 hosts mapped to cpu.weight).",
            update: "live",
            verb: "set live",
            xml: { path: "cputune/shares" },
            tune: { family: "scheduler", field: "cpu_shares", type: "ullong" },
          },
        },
      },
      doc: "CPU scheduling of the domain's process (`<cputune>`), changed live on a running domain and in its config; a removed value waits for the next start.",
      update: "live",
      verb: "set live",
    },
    vcpus: { ...int("vCPUs online; at most `maxVcpus`.", "live", 1, 4096), default: 1, apply: { op: "setVcpus", persists: true } },
    maxVcpus: int("vCPUs the domain can have; default: `vcpus`.", "config", 1, 4096),
    cpu: {
      type: {
        kind: "object",
        properties: {
          mode: { type: { kind: "string", enum: ["host-passthrough", "host-model", "custom", "maximum"] }, doc: "CPU mode.", required: true, update: "config" },
          model: str("CPU model for mode custom (e.g. qemu64, Nehalem).", "config"),
        },
      },
      doc: "The CPU the guest sees.",
      update: "config",
    },
    os: {
      type: {
        kind: "object",
        properties: {
          type: {
            type: { kind: "string", enum: ["hvm", "xen", "xenpvh"] },
            doc: "hvm (full virtualisation), xen (Xen PV), xenpvh (Xen PVH). Default hvm.",
            update: "replace",
          },
          arch: str("Guest architecture; default: the host's.", "replace"),
          machine: str('Machine type ("q35", "pc", "pc-q35-7.2").', "config"),
          firmware: { type: { kind: "string", enum: ["bios", "efi"] }, doc: "Firmware.", update: "replace" },
          secureBoot: bool("UEFI secure boot (with firmware efi).", "replace"),
          boot: {
            type: { kind: "array", items: { kind: "string", enum: ["hd", "cdrom", "network", "fd"] } },
            doc: "Boot order by device class.",
            update: "config",
          },
          kernel: { type: { kind: "string", format: "absolutePath" }, doc: "Direct kernel boot: kernel image on the host.", update: "config" },
          initrd: { type: { kind: "string", format: "absolutePath" }, doc: "Initrd for direct kernel boot.", update: "config" },
          cmdline: str("Kernel command line.", "config"),
          bootloader: {
            type: { kind: "string", format: "absolutePath" },
            doc: "Xen PV: a bootloader on the host (e.g. /usr/lib/xen-4.17/bin/pygrub).",
            update: "config",
          },
        },
      },
      doc: "How the domain boots.",
      update: "config",
    },
    features: {
      type: {
        kind: "object",
        properties: Object.fromEntries(
          ["acpi", "apic", "pae", "hap", "viridian", "pvspinlock", "vmport", "smm", "pmu"].map((f) => [f, bool(`The ${f} feature.`, "config")]),
        ),
      },
      doc: "Hypervisor features. Default for kvm/qemu hvm: acpi and apic.",
      update: "config",
    },
    onPoweroff: { type: { kind: "string", enum: LIFECYCLE }, doc: "What a guest power-off does.", update: "config" },
    onReboot: { type: { kind: "string", enum: LIFECYCLE }, doc: "What a guest reboot does.", update: "config" },
    onCrash: { type: { kind: "string", enum: LIFECYCLE }, doc: "What a guest crash does.", update: "config" },
    disks: disk,
    networkInterfaces: nic,
    graphics: {
      type: {
        kind: "object",
        properties: {
          type: { type: { kind: "string", enum: ["vnc", "spice"] }, doc: "Protocol.", required: true, update: "config" },
          listen: { type: { kind: "string", format: "ip" }, doc: "Listen address.", default: "127.0.0.1", update: "config" },
          port: int("Port; default: chosen when the domain starts.", "config", 1, 65535),
          password: str("Password for clients.", "live", { secret: true, verb: "changed live" }),
        },
      },
      doc: "A graphical console. The password changes live; the rest waits for a restart.",
      update: "config",
      apply: { op: "updateGraphics" },
    },
    video: { type: { kind: "string", enum: ["virtio", "vga", "qxl", "cirrus", "bochs", "none"] }, doc: "Video model (with graphics).", update: "config" },
    serialConsole: {
      type: {
        kind: "object",
        properties: {
          type: { type: { kind: "string", enum: ["pty", "file"] }, doc: "pty (virsh console), or file (a log on the host).", required: true, update: "config" },
          path: { type: { kind: "string", format: "absolutePath" }, doc: "The log file (type file).", update: "config" },
        },
      },
      doc: "A serial console.",
      update: "config",
    },
    guestAgent: bool("Add the QEMU guest agent channel (org.qemu.guest_agent.0).", "config"),
    rng: bool("Add a virtio RNG fed from /dev/urandom.", "config"),
    tpm: bool("Add an emulated TPM 2.0 (swtpm).", "config"),
    filesystems: {
      type: {
        kind: "array",
        key: "target",
        items: {
          kind: "object",
          name: "DomainFilesystem",
          properties: {
            type: { type: { kind: "string", enum: ["virtiofs", "9p"] }, doc: "virtiofs (needs shared memory) or 9p.", required: true, update: "config" },
            source: { type: { kind: "string", format: "absolutePath" }, doc: "Host directory.", required: true, update: "config" },
            target: str("Mount tag in the guest.", "config", { required: true }),
            readonly: bool("Read-only.", "config"),
          },
        },
      },
      doc: "Host directories shared with the guest.",
      update: "config",
    },
    memballoon: {
      type: { kind: "string", enum: ["virtio", "xen", "none"] },
      doc: "Balloon device; default virtio (xen on Xen). Needed for live memory changes.",
      update: "config",
    },
    extraDevices: {
      type: { kind: "array", items: { kind: "string" } },
      doc: "Raw device XML snippets (e.g. a <watchdog>), kept as given and carried through every update: the escape hatch for devices not modelled here.",
      update: "config",
    },
    autostart: bool("Start the domain when the host boots.", "live", { default: false, verb: "set live", apply: { op: "autostart", persists: true } }),
    running: bool(
      'Desired power state, the short form: true runs it, false shuts it down gracefully. The same as `powerState` "running" / "shutoff" ' +
        "(declare either; both must agree). Default: true.",
      "live",
      { verb: "applied live", apply: { op: "running", persists: true } },
    ),
    powerState: {
      type: { kind: "string", enum: ["running", "paused", "shutoff"] },
      doc:
        'Desired power state, applied live: "running" (started, or resumed: the same domain id), "paused" (vCPUs stopped, memory kept: ' +
        '`virsh suspend`; created paused when new), "shutoff" (graceful shutdown, forced after shutdownTimeout). Default: from `running` ' +
        '("running"). A domain paused, resumed, started or stopped behind the stack is drift: refresh reports it and up restores this state.',
      update: "live",
      verb: "applied live: start, pause, resume or graceful shutdown",
      apply: { op: "power", persists: true },
    },
    revert: {
      type: {
        kind: "object",
        properties: {
          snapshot: {
            type: { kind: "string", format: "name" },
            doc: "The snapshot to revert to (e.g. a DomainSnapshot's `name` output). Changing only this records it; the revert happens when `trigger` changes.",
            required: true,
            update: "live",
            verb: "recorded (no revert: only a new trigger reverts)",
          },
          trigger: {
            type: { kind: "string" },
            doc: "Any value; a new value reverts the domain to `snapshot` once.",
            required: true,
            update: "live",
            verb: "REVERTED to the snapshot: the domain's current disks (and memory) since it was taken are DISCARDED",
          },
        },
      },
      doc:
        "An explicit one-shot revert, never desired state: when `trigger` changes, the domain is reverted to `snapshot` " +
        "(virsh snapshot-revert): everything written since the snapshot is discarded, and the plan says so in words. " +
        "A revert to a snapshot the domain does not have is refused at preview. Afterwards the declared power state " +
        "and config are applied again (the snapshot brings back its own saved config).",
      update: "live",
      verb: "REVERTED to the snapshot: the domain's current disks (and memory) since it was taken are DISCARDED",
      apply: { op: "revert", persists: true },
    },
    rebootTrigger: str(
      "Any value: when it changes (also when removed) on a running domain, the domain is rebooted gracefully: ACPI shutdown, forced off after " +
        "shutdownTimeout, then started again (a new QEMU process and domain id). Never rebooted on any other change. On a paused or shut-off domain the value is only recorded.",
      "live",
      { verb: "rebooted gracefully: ACPI shutdown, forced off after shutdownTimeout, then started", apply: { op: "reboot", persists: true } },
    ),
    resetTrigger: str(
      "Any value: when it changes (also when removed) on a running or paused domain, the domain is reset (the reset button: the guest restarts at " +
        "once without shutting down, unwritten data in the guest is lost; same QEMU process and domain id). Never reset on any other change. On a shut-off domain the value is only recorded.",
      "live",
      { verb: "reset: the guest restarts at once, unwritten data in the guest is lost", apply: { op: "reset", persists: true } },
    ),
    restartPolicy: {
      type: { kind: "string", enum: ["pending", "restart"] },
      doc: 'For changes that need a restart: "pending" (default) saves them and reports them in `pendingRestart`; "restart" shuts the domain down gracefully and starts it again to apply them now.',
      default: "pending",
      update: "live",
      control: true,
    },
    shutdownTimeout: {
      type: { kind: "integer", min: 0, max: 3600 },
      doc: "Seconds a graceful shutdown may take before the domain is forced off (delete, restart, running: false).",
      default: 60,
      update: "live",
      control: true,
      recorded: true,
    },
    keepNvram: bool("Keep the UEFI variable store when the domain is deleted.", "live", { default: false, control: true, recorded: true }),
    snapshotsOnDelete: {
      type: { kind: "string", enum: ["keep-data", "delete"] },
      doc:
        'What deleting the domain does to its snapshots: "keep-data" (default) drops their metadata only: internal snapshots ' +
        'stay inside the qcow2 images (`qemu-img snapshot -l`) and external overlays stay as files; "delete" deletes every snapshot ' +
        "with its data first (as DomainSnapshot's delete does), and fails the delete, naming the snapshot, where libvirt will not.",
      default: "keep-data",
      update: "live",
      control: true,
      recorded: true,
    },
    waitForIp: {
      type: {
        kind: "object",
        properties: {
          source: {
            type: { kind: "string", enum: ["lease", "agent", "arp"] },
            doc: 'Where libvirt learns the addresses: "lease" (the DHCP leases of libvirt networks; only NICs on a `network` are waited for), "agent" (the QEMU guest agent; needs guestAgent), "arp" (the host\'s ARP table).',
            default: "lease",
            update: "live",
            control: true,
          },
          timeout: {
            type: { kind: "integer", min: 1, max: 3600 },
            doc: "Seconds to wait for every NIC to have an IPv4 address before the create (or restart) fails.",
            default: 300,
            update: "live",
            control: true,
          },
        },
      },
      doc:
        "Create (and an update that starts or restarts the domain) completes only when every NIC has an IPv4 address " +
        "(for source lease: every NIC on a libvirt network), reported per interface in `addresses`. A timeout fails " +
        "naming the interface; the domain stays recorded. Refresh never waits.",
      update: "live",
      control: true,
    },
    hotplugSlots: {
      type: { kind: "integer", min: 0, max: 32 },
      doc:
        "q35 machines: free PCIe root ports kept in the config for hot-plug (each takes one disk or NIC added live; libvirt adds none spare). " +
        "Made at create; an update tops them up to this number (never removes any), effective at the next start. No effect on other machine types. " +
        `Default: ${HOTPLUG_SLOTS} (not filled into the inputs: states from before this property stay unchanged).`,
      update: "config",
    },
    migration: {
      type: {
        kind: "object",
        properties: {
          mode: {
            type: { kind: "string", enum: ["live", "offline"] },
            doc: '"live" (default): a running domain is migrated live, peer-to-peer; "offline": it is shut down gracefully, moved and started again. A stopped domain is always moved offline.',
            default: "live",
            update: "live",
            control: true,
          },
          maxDowntimeMs: {
            type: { kind: "integer", min: 1, max: 600000 },
            doc: "Longest pause of the guest at the switch-over, in ms (libvirt's default: 300).",
            update: "live",
            control: true,
          },
          bandwidthMiBs: {
            type: { kind: "integer", min: 1, max: 1048576 },
            doc: "Bandwidth limit of the migration stream, in MiB/s (default: unlimited).",
            update: "live",
            control: true,
          },
          timeoutSec: {
            type: { kind: "integer", min: 1, max: 86400 },
            doc: "Seconds a live migration may take; then it is aborted, the domain keeps running on the source, and the update fails saying so.",
            default: 600,
            update: "live",
            control: true,
          },
          copyStorage: {
            type: { kind: "boolean" },
            doc:
              "Copy the writable disks' data to the destination (default true; false when the storage is shared). Their volumes must exist there first: " +
              "declare each disk's Volume on the destination with `followsDomain: true`.",
            default: true,
            update: "live",
            control: true,
          },
          destinationUri: {
            type: { kind: "string" },
            doc: "The URI the SOURCE host's libvirtd uses to reach the destination's (peer-to-peer); default: the new connection URI.",
            update: "live",
            control: true,
          },
        },
      },
      doc:
        "Opt-in: when the domain's host (connection URI) changes, move it instead of replacing it — live, peer-to-peer, when it runs (the plan says " +
        '"migrated live from A to B"); by define on the destination and undefine on the source when it is stopped. Same UUID. Refused at plan time ' +
        "for what cannot move (host directories, host block devices, <hostdev>, file disks or CD-ROMs whose path the destination lacks). " +
        "Without it a host change replaces the domain.",
      update: "live",
      control: true,
    },
    hotplugTimeout: {
      type: { kind: "integer", min: 1, max: 3600 },
      doc: "Seconds to wait for the guest to release a hot-unplugged disk or NIC (it must acknowledge; a guest without an OS never does).",
      default: 30,
      update: "live",
      control: true,
    },
  },
  outputs: {
    uuid: { type: { kind: "string" }, doc: "The domain's UUID." },
    domainId: { type: { kind: "integer" }, doc: "The running domain's id (-1 when shut off)." },
    state: { type: { kind: "string" }, doc: "running, shutoff, paused, ..." },
    macs: { type: { kind: "array", items: { kind: "string" } }, doc: "MAC addresses of the network interfaces, in order." },
    graphicsPort: { type: { kind: "integer" }, doc: "The graphics port in use (-1 when not running)." },
    pendingRestart: {
      type: { kind: "array", items: { kind: "string" } },
      doc:
        "What the saved config has and the running domain does not (in effect at the next boot), read from both: config-only changes, a vCPU unplug the guest refused, " +
        'disks and NICs still attached after an unplug the guest did not acknowledge or not yet plugged (e.g. "disks[vdb]", "networkInterfaces[52:54:00:12:34:56]").',
    },
    actualMemory: { type: { kind: "integer" }, doc: "Memory the guest has now, in bytes (what its balloon driver reports)." },
    resolvedType: { type: { kind: "string" }, doc: "The hypervisor type used (type auto resolved)." },
    persistent: {
      type: { kind: "boolean" },
      doc: "Whether the domain has a saved definition; false when it was made transient behind the stack (up defines it again).",
    },
    networkProblems: {
      type: { kind: "array", items: { kind: "string" } },
      doc: 'NICs whose libvirt network is gone or not running (they have no link), e.g. "52:54:00:12:34:56: network lab no longer exists"; empty when every network is there.',
    },
    addresses: {
      type: {
        kind: "array",
        items: {
          kind: "object",
          name: "DomainInterfaceAddresses",
          properties: {
            mac: { type: { kind: "string" }, doc: "The interface's MAC address.", required: true, update: "live" },
            network: { type: { kind: "string" }, doc: "The libvirt network it is on (absent for bridge/direct).", update: "live" },
            ips: { type: { kind: "array", items: { kind: "string" } }, doc: "Its addresses (IPv4 first).", required: true, update: "live" },
          },
        },
      },
      doc: "With waitForIp: each waited-for interface's addresses, from waitForIp.source (refresh reports them without waiting).",
    },
    powerState: {
      type: { kind: "string", enum: ["running", "paused", "shutoff"] },
      doc: "The power state as the host has it: running, paused or shutoff (drift from the declared one is restored by up).",
    },
    uri: { type: { kind: "string" }, doc: "The libvirt URI the domain lives on." },
  },
};
