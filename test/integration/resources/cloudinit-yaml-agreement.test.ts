import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseYaml, YamlError, type YamlValue } from "../../../provider/resources/cloudinit/yaml";
import { tempDir } from "../../../tools/support/host";
import { SEED_NETWORK_CONFIG, SEED_USER_DATA, STRICTER, YAML_CORPUS } from "../../support/yaml-corpus";

// The small documents of the corpus and a few realistic configs: the seeds of the mutants.
const corpus = [
  ...YAML_CORPUS,
  SEED_USER_DATA,
  SEED_NETWORK_CONFIG,
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

/** The seeded mutants of the corpus (the same ~30,000 on every run). */
function mutants(): string[] {
  const rnd = prng(20261205);
  const seen = new Set<string>();
  const out: string[] = [];
  for (let tries = 0; out.length < 30000 && tries < 200000; tries++) {
    let m = mutate(corpus[Math.floor(rnd() * corpus.length)]!, rnd);
    if (rnd() < 0.3) m = mutate(m, rnd);
    if (seen.has(m)) continue;
    seen.add(m);
    out.push(m);
  }
  return out;
}

// PyYAML's safe_load of each document, in plain data's terms: a date as its ISO text, bytes as base64, a set as a
// mapping to null (keys sorted), floats that JSON lacks as text. null: refused.
const PYYAML = `import base64,datetime,json,math,sys,yaml
def plain(v):
  if isinstance(v, dict): return {("true" if k is True else "false" if k is False else "null" if k is None else str(k)): plain(x) for k, x in v.items()}
  if isinstance(v, (list, tuple)): return [plain(x) for x in v]
  if isinstance(v, set): return {str(k): None for k in sorted(v, key=str)}
  if isinstance(v, (datetime.date, datetime.datetime)): return v.isoformat()
  if isinstance(v, bytes): return base64.b64encode(v).decode()
  if isinstance(v, float) and (math.isnan(v) or math.isinf(v)): return repr(v)
  return v
out=[]
for c in json.load(open(sys.argv[1])):
  try: out.append({"value": plain(yaml.safe_load(c))})
  except Exception: out.append(None)
json.dump(out, sys.stdout)`;

/** Ours in the same terms. */
const plain = (v: YamlValue): unknown => {
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  if (typeof v === "number" && !Number.isFinite(v)) return Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf";
  return v;
};

describe("cloud-init YAML check: agreement with PyYAML", function () {
  this.timeout(120000);
  const dir = tempDir("ci-yaml");
  after(() => dir.remove());

  /** Debian's python3 has PyYAML 6.0 (python3-yaml); one process for all the documents. */
  const pyyaml = (docs: string[]): ({ value: unknown } | null)[] => {
    const file = join(dir.path, "docs.json");
    writeFileSync(file, JSON.stringify(docs));
    const out = JSON.parse(execFileSync("/usr/bin/python3", ["-c", PYYAML, file], { encoding: "utf8", maxBuffer: 1 << 28 })) as ({ value: unknown } | null)[];
    assert.equal(out.length, docs.length);
    return out;
  };
  const ours = (doc: string): { value: unknown } | YamlError => {
    try {
      return { value: plain(parseYaml(doc)) };
    } catch (e) {
      if (!(e instanceof YamlError)) throw e;
      return e;
    }
  };

  it("agrees on the corpus itself; the three deliberate differences are refusals of ours alone", () => {
    const theirs = pyyaml([...YAML_CORPUS, ...STRICTER]);
    const verdict = (d: string) => (ours(d) instanceof YamlError ? "refused" : "read");
    const differ = YAML_CORPUS.filter((d, i) => verdict(d) !== (theirs[i] === null ? "refused" : "read"));
    assert.deepEqual(differ, [], "documents of the corpus where the check and PyYAML disagree");
    assert.ok(theirs.slice(0, YAML_CORPUS.length).filter((t) => t === null).length > 15, "the corpus has refusals to agree on");
    const deliberate = STRICTER.map((d, i) => [verdict(d), theirs[YAML_CORPUS.length + i] === null ? "refused" : "read"]);
    assert.deepEqual(
      deliberate,
      STRICTER.map(() => ["refused", "read"]),
    );
  });

  it("refuses what PyYAML's safe_load refuses, more only on purpose, and reads the same values (~30,000 mutants)", () => {
    const docs = mutants();
    const theirs = pyyaml(docs);
    const byKind = new Map<string, number>();
    const wrong: { text: string; pyyaml: string; ours: string }[] = [];
    let compared = 0;
    docs.forEach((m, i) => {
      const o = ours(m);
      const t = theirs[i]!;
      if (!(o instanceof YamlError) && t !== null) {
        compared++;
        if (JSON.stringify(o.value) !== JSON.stringify(t.value)) wrong.push({ text: m, pyyaml: JSON.stringify(t.value), ours: JSON.stringify(o.value) });
        return;
      }
      if (o instanceof YamlError && t === null) return;
      const kind = o instanceof YamlError ? o.kind : "accepted";
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
      if (!(o instanceof YamlError) || !DELIBERATE.has(o.kind))
        wrong.push({ text: m, pyyaml: t === null ? "refused" : "accepted", ours: o instanceof YamlError ? `${o.kind}: ${o.message}` : "accepted" });
    });
    const refused = theirs.filter((x) => x === null).length;
    const kinds = [...byKind].map(([k, n]) => `${k} ${n}`).join(", ") || "none";
    console.log(`      ${docs.length} mutants, ${refused} refused by PyYAML, ${compared} values compared; disagreements by kind: ${kinds}`);
    assert.ok(refused > docs.length / 10, "the mutants include refusals to agree on");
    assert.ok(compared > docs.length / 4, "the mutants include documents both read");
    assert.deepEqual(wrong.slice(0, 20), [], `${wrong.length} disagreements that are not deliberate (first 20 shown)`);
  });

  it("reads tagged and untagged scalars as PyYAML's safe loader constructs them, and refuses what it refuses", () => {
    const texts = [
      "1",
      "1.5",
      "1e5",
      "abc",
      "yes",
      "No",
      "0x1F",
      "010",
      "08",
      "1_000",
      "1:30",
      "1:30.5",
      ".inf",
      "-.inf",
      ".nan",
      "inf",
      '"3"',
      "'yes'",
      "",
      "~",
      "null",
      "0b101",
      "2001-12-14",
      "+12",
      "-0",
      "1.0",
      "maybe",
    ];
    const tags = ["", "!!int", "!!float", "!!bool", "!!null", "!!str", "!", "!<tag:yaml.org,2002:int>"];
    const docs = tags.flatMap((tag) => texts.map((v) => `a: ${tag} ${v}\n`));
    docs.push("a: !!seq [1]\n", "a: !!map {b: 1}\n", "a: !!set {b, c}\n", "a: !!omap [b: 1, c: 2]\n", "a: !!pairs [b: 1]\n", "a: !!binary aGk=\n");
    docs.push(
      "a: !!timestamp 2001-12-14\n",
      "a: !!timestamp x\n",
      "a: !!str [1]\n",
      "a: !!int [1]\n",
      "a: !!seq x\n",
      "a: !!map x\n",
      "a: !!map [1]\n",
      "a: ! [1]\n",
      "a: ! {b: 1}\n",
    );
    const theirs = pyyaml(docs);
    const differ = docs.flatMap((d, i) => {
      const o = ours(d);
      const mine = o instanceof YamlError ? "refused" : JSON.stringify(o.value);
      const t = theirs[i] === null ? "refused" : JSON.stringify(theirs[i]!.value);
      return mine === t ? [] : [`${JSON.stringify(d)}: ours ${mine}, PyYAML ${t}`];
    });
    assert.ok(theirs.filter((t) => t === null).length > 20, "PyYAML refuses some of them");
    assert.deepEqual(differ, []);
  });
});
