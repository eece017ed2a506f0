import assert from "node:assert/strict";
import { Libvirt } from "../../provider/libvirt/client";

describe("keepalive against the real daemon", function () {
  this.timeout(30000);

  it("libvirtd answers our PINGs: a connection idle far past interval × (count + 1) stays open", async () => {
    // Dead after 600 ms of silence unless the daemon answers the PINGs we send every 200 ms.
    const lv = await Libvirt.connect("qemu:///system?keepalive_interval=0.2&keepalive_count=2", { readOnly: true });
    try {
      assert.equal(lv.connection.features.keepalive, true);
      await new Promise((r) => setTimeout(r, 3000));
      assert.equal(await lv.host.getType(), "QEMU");
      assert.equal(lv.connection.generation, 1, "the connection was never dropped and re-dialled");
    } finally {
      await lv.close();
    }
  });
});
