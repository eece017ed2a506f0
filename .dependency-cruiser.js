/**
 * The import rules of ../shared/docs/style.md ("Layers, and which way imports go"), checked over every folder by
 * `npm run lint` (dependency-cruiser). Type-only imports count (tsPreCompilationDeps), so the SDK's lazy link to
 * the resources (sdk/provider.ts requires them by package path at run time) is visible as its `import type`.
 *
 *   sdk/ → provider/resources/ → provider/{diff, xml, libvirt, iso9660}
 *   provider/libvirt: api, connection → rpc → xdr; connection → transport (a Duplex); protocol → xdr
 *   tools/ (the engine harness, the test guest, host helpers), scripts/, bench/ → anything but test/
 *   test/ → anything
 */
"use strict";

const layer = (name, comment, from, to, extra = {}) => ({ name, comment, severity: "error", from: { path: from, ...extra }, to: { path: to } });
const onlyIn = (name, comment, modules, allowed) => ({
  name,
  comment,
  severity: "error",
  from: { path: "^(provider|sdk)/", pathNot: allowed },
  to: { path: modules },
});

module.exports = {
  forbidden: [
    {
      name: "no-cycles",
      comment: "no import cycles in the provider or the SDK",
      severity: "error",
      from: { path: "^(provider|sdk)/" },
      to: { circular: true },
    },

    layer("provider-not-sdk", "nothing under provider/ knows the SDK", "^provider/", "^sdk/"),
    layer("sdk-through-resources", "the SDK reaches the provider only through provider/resources", "^sdk/", "^provider/(libvirt|diff|xml|iso9660)/"),
    layer(
      "libvirt-is-the-bottom",
      "the client knows nothing of resources, diffs or XML models",
      "^provider/libvirt/",
      "^provider/(resources|diff|xml|iso9660)/",
    ),
    layer("xml-is-data", "XML models are plain data: no client, no diff", "^provider/xml/", "^provider/(resources|diff|libvirt|iso9660)/"),
    layer("diff-is-pure", "the diff engine is pure: no client, no XML, no resources", "^provider/diff/", "^provider/(resources|libvirt|xml|iso9660)/"),
    layer("iso-is-bytes", "the ISO writer is pure bytes, a layer of its own", "^provider/iso9660/", "^(provider/(resources|diff|xml|libvirt)|sdk)/"),
    layer(
      "xdr-is-the-bottom",
      "xdr is the bottom of the client",
      "^provider/libvirt/xdr/",
      "^provider/libvirt/(rpc|protocol|transport|api)/|^provider/libvirt/(connection|client)",
    ),
    layer(
      "rpc-bytes-in-packets-out",
      "rpc is bytes in, packets out",
      "^provider/libvirt/rpc/",
      "^provider/libvirt/(transport|api)/|^provider/libvirt/(connection|client)",
    ),
    layer(
      "transport-yields-a-duplex",
      "transports only yield a Duplex",
      "^provider/libvirt/transport/",
      "^provider/libvirt/(rpc|api|protocol)/|^provider/libvirt/(connection|client)",
    ),
    layer(
      "tooling-not-on-tests",
      "tools, scripts, benches, the SDK, the provider and the examples never import test code",
      "^(provider|sdk|tools|scripts|bench|examples)/",
      "^test/",
    ),
    {
      name: "examples-use-the-package",
      comment: "examples import the published package (pulumi-virt, mapped to sdk/ by tsconfig paths), never the repository's folders",
      severity: "error",
      from: { path: "^examples/" },
      to: { path: "^(provider|sdk|tools|scripts|bench)/", dependencyTypesNot: ["aliased-tsconfig-paths"] },
    },

    onlyIn(
      "sockets-in-transports",
      "sockets, TLS and processes are opened by transports only (ip.ts: net.isIP and BlockList, no sockets)",
      "^(node:)?(net|tls|child_process)$",
      "^provider/libvirt/transport/|^provider/resources/ip\\.ts$",
    ),
    onlyIn("xml-library-behind-one-adapter", "the XML library sits behind one adapter (provider/xml/document.ts)", "fast-xml-parser|xml2js", "^provider/xml/"),
    onlyIn("pulumi-in-the-sdk", "only sdk/ imports @pulumi/pulumi", "@pulumi/pulumi", "^sdk/"),
    onlyIn(
      "fs-not-in-pure-layers",
      "the diff engine, the XML models and the ISO writer do no I/O",
      "^(node:)?(fs|fs/promises|net|child_process)$",
      "^provider/(libvirt|resources)/|^sdk/",
    ),
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|node_modules)/|/node_modules/|\\.cache/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    builtInModules: { add: ["node:test"] },
  },
};
