import { domainFixture } from "../../support/domain-fixture";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { domain } from "../../../provider/resources/domain";
import { uniqueName, virsh, virshMaybe } from "../../../tools/support/host";

// A metadata namespace URI is written by libvirt into the domain's saved config without escaping: a `<` or `&`
// there leaves a config file that is not XML, and libvirtd drops the domain the next time it reads its configs
// (its restart) while QEMU keeps running unmanaged. Such a URI must be refused before it reaches libvirt, and
// every URI we accept must leave a config that parses.
const URI = "qemu:///system";

/** Whether text is well-formed XML, judged by libxml2 (the parser libvirtd reads its configs with). */
function wellFormed(xml: string): boolean {
  try {
    execFileSync("xmllint", ["--noout", "-"], { input: xml, stdio: ["pipe", "ignore", "ignore"] });
    return true;
  } catch {
    return false;
  }
}

describe("virt:Domain metadata namespace URIs (qemu:///system)", function () {
  this.timeout(120000);
  const { names } = domainFixture(URI);

  const inputs = (name: string, uri: string) => ({
    connection: { uri: URI },
    name,
    type: "qemu",
    memory: "64MiB",
    running: false,
    metadata: [{ uri, prefix: "app", xml: "<app><owner>ops</owner></app>" }],
  });

  it("refuses at check a URI with characters libvirt would store unescaped or that are no URI characters", async () => {
    const cases: [string, RegExp][] = [
      ["https://example.org/<x>", /has "<", which is not a URI character \(RFC 3986\); percent-encode it \(e\.g\. %3C\)/],
      ["https://example.org/a?b=1&c=2", /has "&", which libvirt stores unescaped .* write it as %26/],
      ['https://example.org/"q"', /has "\\"", which is not a URI character/],
      ["https://example.org/a b", /has " ", which is not a URI character/],
      ["https://example.org/%zz", /a % not followed by two hex digits/],
    ];
    for (const [uri, re] of cases) {
      const r = await domain.check({}, inputs("pvt-srf-x", uri));
      assert.equal(r.failures.length, 1, `${uri}: ${JSON.stringify(r.failures)}`);
      assert.equal(r.failures[0]!.property, "metadata[0].uri");
      assert.match(r.failures[0]!.reason, re);
    }
  });

  it("never defines a domain with such a URI, even when create is reached without check", async () => {
    const name = uniqueName("srf-meta");
    names.push(name);
    await assert.rejects(domain.create(inputs(name, "https://example.org/<x>")), /metadata\[0\]\.uri: .*not a URI character/);
    assert.equal(virshMaybe(URI, "dominfo", name), null, "nothing was defined");
  });

  it("accepts every other RFC 3986 character, and the saved config libvirtd re-reads at its restart stays XML", async () => {
    const name = uniqueName("srf-meta");
    names.push(name);
    const uri = "https://user@example.org:8443/a-b._~/!$'()*+,;=:@%41?q=/?#frag[x]";
    const checked = await domain.check({}, inputs(name, uri));
    assert.deepEqual(checked.failures, []);
    const { id } = await domain.create(checked.inputs);
    assert.ok(id.length > 0);
    assert.match(virsh(URI, "metadata", name, uri, "--config"), /<owner>ops<\/owner>/);
    const config = virsh(URI, "dumpxml", "--inactive", name);
    assert.ok(config.includes(`xmlns:app="${uri}"`), config);
    assert.ok(wellFormed(config), "the config libvirt writes is well-formed XML");
    const file = `/etc/libvirt/qemu/${name}.xml`;
    assert.ok(existsSync(file), file);
    assert.ok(wellFormed(execFileSync("cat", [file], { encoding: "utf8" })), `${file}, read by libvirtd at its restart, is well-formed`);
    // And the same URI with "<" would not have been: what the refusal protects against.
    assert.equal(wellFormed(config.replace(`xmlns:app="${uri}"`, 'xmlns:app="https://example.org/<x>"')), false);
  });

  it("refuses the bad URI as an update of the existing domain too, leaving its config as it was", async () => {
    const name = names.at(-1)!;
    const before = virsh(URI, "dumpxml", "--inactive", name);
    const r = await domain.check(inputs(name, "https://example.org/ok"), inputs(name, "https://example.org/a&b"));
    assert.equal(r.failures.length, 1);
    assert.equal(virsh(URI, "dumpxml", "--inactive", name), before);
  });
});
