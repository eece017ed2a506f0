import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Libvirt } from "../../provider/libvirt/client";
import { DaemonUnavailableError } from "../../provider/libvirt/errors";
import { waitFor } from "../../tools/support/host";

// Runs after every other integration test: it stops libvirtd, which drops every connection to it.
const ensureScript = join(__dirname, "..", "..", "..", "scripts", "ensure-libvirtd.sh");

// The system daemon by its pid file: the multi-host test bed (scripts/hosts.sh) runs other libvirtds on this machine.
const PID_FILE = "/run/libvirtd.pid";
const systemPid = (): number => Number(readFileSync(PID_FILE, "utf8").trim());

function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("a connection survives a libvirtd restart", function () {
  this.timeout(300000);

  after(() => {
    // Whatever happened, leave the daemon running for whoever comes next.
    execFileSync("bash", [ensureScript], { stdio: "inherit" });
  });

  it("fails pending and offline calls clearly, then reconnects on the next call", async () => {
    const lv = await Libvirt.connect("qemu:///system");
    try {
      assert.equal(await lv.host.getType(), "QEMU");
      assert.equal(lv.connection.generation, 1);

      const pid = systemPid();
      process.kill(pid, "SIGTERM");
      await waitFor("libvirtd to exit", () => !running(pid), 60000);

      // The idle connection's channel is gone; with the daemon down, the next call's reconnect fails with an
      // error that names the socket and says how to start the daemon.
      const err = await lv.host.getType().catch((e) => e);
      assert.ok(err instanceof DaemonUnavailableError, String(err));
      assert.match(err.message, /\/run\/libvirt\/libvirt-sock/);
      assert.match(err.message, /qemu:\/\/\/system/);
      assert.match(err.message, /libvirtd -d/);
      console.log(`      daemon down: ${err.message}`);

      execFileSync("bash", [ensureScript], { stdio: "inherit" });
      assert.equal(await lv.host.getType(), "QEMU");
      assert.ok(lv.connection.generation >= 2, "a new handshake was made");
    } finally {
      await lv.close();
    }
  });
});
