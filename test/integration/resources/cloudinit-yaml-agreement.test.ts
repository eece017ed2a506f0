import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseYaml, YamlError } from "../../../provider/resources/cloudinit/yaml";
import { tempDir } from "../../../tools/support/host";

// The documents of "agrees with PyYAML" (cloudinit.test.ts) and a few realistic configs: the seeds of the mutants.
const corpus = [
  "a: 1\nb: [1, 2]\n",
  "a:\n- x\n- y\nb: 2\n",
  "- a\n- - b\n  - c\n- k: v\n  j: w\n",
  "a: |\n  x\n   y\nb: >-\n  folded\n  text\n",
  "a: 'x''y'\nb: \"q\\\"r\\u00e9\"\n",
  "a: one\n  two\n",
  "a: [\n  1,\n]\n",
  "a: {x: 1, y: [2, 3]}\n",
  "a: &x 1\nb: *x\n",
  "k: v # comment\nk2: 'v # not'\n",
  "url: http://x:80/y\n",
  "a: x\ty\n",
  "a:\tx\n",
  "a: 1\n\tb: 2\n",
  "a: 'x\ty'\n",
  "a: |\n  x\n  \ty\n",
  "a: b: c\n",
  "a: 1\n  b: 2\n",
  "a:\n    b: 1\n  c: 2\n",
  "a: [1, 2\nb: 1\n",
  "a: [x, y]]\n",
  "a: {b: 1}}\n",
  "- a\nb: 1\n",
  "a: - b\n",
  'a: "x" y\n',
  "key: | x\n",
  "key: @x\n",
  "a: 1\n---\nb: 2\n",
  "---\na: 1\n...\n",
  "a: *y\n",
  "a: !custom x\n",
  'a: "C:\\dir"\n',
  "a: 'unterminated\n",
  "a:x\nb: 2\n",
  "a: x #c\n  y\n",
  "a: [a\n b]\n",
  "]a: 1\n",
  "a: [- b]\n",
  `#cloud-config
hostname: web
users:
  - name: ops
    groups: [sudo]
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests ops@laptop
runcmd:
  - [sh, -c, 'echo seeded > /var/tmp/seeded']
`,
  `version: 2
ethernets:
  id0:
    match: {macaddress: "52:54:00:12:34:56"}
    dhcp4: true
`,
  `#cloud-config
# a comment
hostname: web
fqdn: web.example.internal
users:
  - default
  - name: ops
    groups: [sudo, adm]
    shell: /bin/bash
    sudo: "ALL=(ALL) NOPASSWD:ALL"
    lock_passwd: true
packages:
- nginx
- 'curl'
package_update: true
write_files:
  - path: /etc/nginx/conf.d/app.conf
    permissions: '0644'
    content: |
      server {
        listen 80;   # not a YAML comment
        location / { return 200 "ok\\n"; }
      }
  - path: /etc/motd
    content: >-
      folded
      into one line
runcmd:
  - [systemctl, enable, --now, nginx]
  - 'echo "done: yes" > /var/tmp/ready'
  - |
    if [ -f /etc/x ]; then
    \techo tab inside a block scalar
    fi
chpasswd: { expire: false }
bootcmd:
  - &first echo first
  - *first
final_message: "Up after $UPTIME seconds \\u2713"
`,
  `network:
  version: 2
  ethernets:
    eth0:
      addresses: [10.0.0.5/24, "fd00::5/64"]
      routes:
        - to: default
          via: 10.0.0.1
      nameservers: {addresses: [10.0.0.1], search: [example.internal]}
      dhcp4: no
`,
  `#cloud-config
timezone: Europe/Berlin
ntp:
  enabled: true
  servers: ['0.pool.ntp.org', 1.pool.ntp.org]
mounts:
  - [ /dev/vdb, /data, "auto", "defaults,nofail", "0", "2" ]
swap:
  filename: /swap.img
  size: 1G
power_state:
  delay: "+1"
  mode: reboot
  message: >
    Rebooting after
    first boot
  condition: True
`,
];

/** Mulberry32: a small seeded generator, so the mutants are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CHARS = ": -\t'\"[]{}#&*!|>?,\n ";

function mutate(doc: string, rnd: () => number): string {
  const pick = (n: number) => Math.floor(rnd() * n);
  const at = pick(doc.length + 1);
  switch (pick(6)) {
    case 0:
      return doc.slice(0, at) + doc.slice(at + 1);
    case 1:
    case 2:
      return doc.slice(0, at) + CHARS[pick(CHARS.length)]! + doc.slice(at);
    case 3:
      return doc.slice(0, at) + doc.slice(at, at + 1) + doc.slice(at);
    case 4: {
      const lines = doc.split("\n");
      const i = pick(lines.length);
      const j = pick(lines.length);
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join("\n");
    }
    default: {
      const lines = doc.split("\n");
      const i = pick(lines.length);
      const body = lines[i]!.replace(/^ */, "");
      lines[i] = " ".repeat(pick(7)) + body;
      return lines.join("\n");
    }
  }
}

/** Our refusals PyYAML does not share, on purpose. */
const DELIBERATE = new Set(["duplicate-key", "explicit-key", "quoted-continuation"]);

describe("cloud-init YAML check: mutants agree with PyYAML", function () {
  this.timeout(120000);
  const dir = tempDir("ci-yaml");
  after(() => dir.remove());

  it("refuses what PyYAML's safe_load refuses, and more only on purpose (~30,000 mutants)", () => {
    const rnd = prng(20261205);
    const seen = new Set<string>();
    const mutants: string[] = [];
    for (let tries = 0; mutants.length < 30000 && tries < 200000; tries++) {
      let m = mutate(corpus[Math.floor(rnd() * corpus.length)]!, rnd);
      if (rnd() < 0.3) m = mutate(m, rnd);
      if (seen.has(m)) continue;
      seen.add(m);
      mutants.push(m);
    }
    const file = join(dir.path, "mutants.json");
    writeFileSync(file, JSON.stringify(mutants));
    // One process for all; Debian's python3 has PyYAML 6.0 (python3-yaml).
    const script =
      "import json,sys,yaml\nout=[]\nfor c in json.load(open(sys.argv[1])):\n  try:\n    yaml.safe_load(c); out.append(True)\n  except Exception:\n    out.append(False)\njson.dump(out, sys.stdout)";
    const theirs = JSON.parse(execFileSync("/usr/bin/python3", ["-c", script, file], { encoding: "utf8", maxBuffer: 1 << 26 })) as boolean[];
    assert.equal(theirs.length, mutants.length);

    const byKind = new Map<string, number>();
    const wrong: { text: string; pyyaml: boolean; ours: string }[] = [];
    mutants.forEach((m, i) => {
      let ours: YamlError | undefined;
      try {
        parseYaml(m);
      } catch (e) {
        if (!(e instanceof YamlError)) throw e;
        ours = e;
      }
      if ((ours === undefined) === theirs[i]) return;
      const kind = ours === undefined ? "accepted" : ours.kind;
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      if (ours === undefined || !DELIBERATE.has(ours.kind))
        wrong.push({ text: m, pyyaml: theirs[i]!, ours: ours === undefined ? "accepted" : `${ours.kind}: ${ours.message}` });
    });
    const refused = theirs.filter((x) => !x).length;
    const kinds = [...byKind].map(([k, n]) => `${k} ${n}`).join(", ") || "none";
    console.log(`      ${mutants.length} mutants, ${refused} refused by PyYAML; disagreements by kind: ${kinds}`);
    assert.ok(refused > mutants.length / 10, "the mutants include refusals to agree on");
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} disagreements that are not deliberate (first 20 shown)`);
  });
});
