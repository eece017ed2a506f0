import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "..", "..", "..");

/** What `npm pack` would put in the tarball (no scripts run): paths relative to the package root. */
function packedFiles(): string[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

describe("the published package (npm pack)", function () {
  this.timeout(120000);
  let files: string[] = [];
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
    dependencies: Record<string, string>;
    peerDependencies?: Record<string, string>;
  };
  before(() => (files = packedFiles()));

  it("has no install-time scripts (prepare, preinstall, install, postinstall); prepack builds", () => {
    for (const s of ["prepare", "preinstall", "install", "postinstall"]) assert.equal(manifest.scripts[s], undefined, s);
    assert.match(manifest.scripts["prepack"] ?? "", /npm run build/);
  });

  it("takes @pulumi/pulumi as a caret range, so the program's own copy is shared", () => {
    assert.match(manifest.dependencies["@pulumi/pulumi"]!, /^\^3\.\d+\.\d+$/);
  });

  it("ships source maps that carry their sources (stack traces point at code that is there)", () => {
    const maps = files.filter((f) => f.endsWith(".js.map"));
    assert.ok(maps.length > 50, `${maps.length} maps`);
    for (const m of maps) {
      const map = JSON.parse(readFileSync(join(root, m), "utf8")) as { sources: string[]; sourcesContent?: (string | null)[] };
      assert.equal(map.sourcesContent?.length, map.sources.length, m);
      assert.ok(
        map.sourcesContent!.every((c) => typeof c === "string" && c.length > 0),
        m,
      );
    }
  });

  it("README links only to files in the package (or to the web)", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    assert.ok(links.length > 0);
    for (const l of links)
      assert.ok(
        files.some((f) => f === l || f.startsWith(`${l.replace(/\/$/, "")}/`)),
        `README links to ${l}, which is not in the package`,
      );
  });

  it("exports the SDK, the libvirt client (require and import) and the paths the stored forwarders require", () => {
    const node = (args: string[]) => execFileSync("node", args, { cwd: root, encoding: "utf8" }).trim();
    assert.equal(node(["-e", "console.log(require.resolve('pulumi-virt/client'))"]), join(root, "dist", "provider", "libvirt", "index.js"));
    assert.equal(node(["--input-type=module", "-e", "const m = await import('pulumi-virt/client'); console.log(typeof m.Libvirt.connect)"]), "function");
    assert.equal(node(["--input-type=module", "-e", "const m = await import('pulumi-virt'); console.log(typeof m.Domain)"]), "function");
    for (const m of ["connections", "cloudinit", "domain", "network", "pool", "volume"]) {
      assert.ok(
        node(["-e", `console.log(require.resolve('pulumi-virt/dist/provider/resources/${m}'))`]).startsWith(join(root, "dist", "provider", "resources")),
        m,
      );
    }
  });
});

describe("the README's libvirt-client snippet", function () {
  this.timeout(120000);
  it("compiles as written against the package's client export", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## The libvirt client"));
    const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
    assert.match(code, /from "pulumi-virt\/client"/);
    const dir = mkdtempSync(join(root, "dist", "readme-snippet-"));
    try {
      writeFileSync(join(dir, "snippet.ts"), code);
      const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
      const args = [
        "--ignoreConfig",
        "--noEmit",
        "--strict",
        "--target",
        "ES2022",
        "--module",
        "node16",
        "--moduleResolution",
        "node16",
        "--types",
        "node",
        "--skipLibCheck",
        join(dir, "snippet.ts"),
      ];
      execFileSync("node", [tsc, ...args], { cwd: root, encoding: "utf8" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
