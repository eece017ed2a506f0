/**
 * Small YAML documents cloud-init users write or mistype, good and bad, as a corpus: the agreement tests with
 * PyYAML (cloud-init's parser) judge them as they are and mutate them.
 */
export const YAML_CORPUS: readonly string[] = [
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
];

/**
 * Stricter than PyYAML on purpose: duplicate keys, a quoted string whose next line is not indented (the YAML
 * spec's rule; in practice a quote left open), explicit `? ` keys.
 */
export const STRICTER: readonly string[] = ["a: 1\na: 2\n", 'a: "x\nb: 2"\n', "a:\n  ? b\n"];

/** The cloud-config the CloudInitDisk tests seed a guest with (and a seed of the agreement test's mutants). */
export const SEED_USER_DATA = `#cloud-config
hostname: web
users:
  - name: ops
    groups: [sudo]
    ssh_authorized_keys:
      - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeKeyForTests ops@laptop
runcmd:
  - [sh, -c, 'echo seeded > /var/tmp/seeded']
`;

/** The network-config beside it. */
export const SEED_NETWORK_CONFIG = `version: 2
ethernets:
  id0:
    match: {macaddress: "52:54:00:12:34:56"}
    dhcp4: true
`;
