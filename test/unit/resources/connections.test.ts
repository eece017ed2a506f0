import assert from "node:assert/strict";
import { resolveUri, setConfiguredUri } from "../../../provider/resources/connections";
import { storagePool } from "../../../provider/resources/pool";
import { DaemonUnavailableError } from "../../../provider/libvirt";

describe("connections", () => {
  afterEach(() => setConfiguredUri(undefined));

  it("resolve the URI: the resource's, then stack config virt:uri, then LIBVIRT_DEFAULT_URI, then libvirt's default", () => {
    const env = { LIBVIRT_DEFAULT_URI: "qemu+ssh://env/system" };
    setConfiguredUri("qemu+ssh://config/system");
    assert.equal(resolveUri({ uri: "qemu+ssh://input/system" }, env), "qemu+ssh://input/system");
    assert.equal(resolveUri(undefined, env), "qemu+ssh://config/system");
    setConfiguredUri(undefined);
    assert.equal(resolveUri({}, env), "qemu+ssh://env/system");
    assert.equal(resolveUri(undefined, {}), process.getuid?.() === 0 ? "qemu:///system" : "qemu:///session");
  });

  it("read reports an object gone only on a real not-found: an unreachable daemon is an error", async () => {
    const props = { name: "p", uri: "qemu+unix:///system?socket=/nonexistent/pvt-libvirt-sock" };
    await assert.rejects(storagePool.read("6695eb01-f6a4-870b-8b7a-5f0f45f1b2ae", props), DaemonUnavailableError);
  });
});
