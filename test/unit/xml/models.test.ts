import assert from "node:assert/strict";
import { parseXml, serializeXml } from "../../../provider/xml/document";
import { applyNetworkXml, buildNetworkXml, Network, NetworkState, parseNetworkXml } from "../../../provider/xml/network";
import { applyPoolXml, buildPoolXml, parsePoolXml, StoragePool, StoragePoolState } from "../../../provider/xml/pool";
import { applyVolumeXml, buildVolumeXml, parseVolumeXml, Volume, VolumeState } from "../../../provider/xml/volume";
import { corpus } from "./corpus";

// What a read returns beyond the declaration: dropped before comparing build → parse with the model.
function declaredPool(s: StoragePoolState): StoragePool {
  const { uuid: _u, capacity: _c, allocation: _a, available: _v, ...rest } = s;
  return rest as StoragePool;
}
function declaredVolume(s: VolumeState): Volume {
  const { key: _k, path: _p, type: _t, physical: _ph, ...rest } = s;
  return rest;
}
function declaredNetwork(s: NetworkState): Network {
  const { uuid: _u, mac: _m, ...rest } = s;
  return rest as Network;
}

const models = {
  pool: {
    parse: parsePoolXml,
    build: (m: unknown) => buildPoolXml(m as StoragePool),
    apply: (x: string, m: unknown) => applyPoolXml(x, m as StoragePool),
    declared: (m: unknown) => declaredPool(m as StoragePoolState),
  },
  volume: {
    parse: parseVolumeXml,
    build: (m: unknown) => buildVolumeXml(m as Volume),
    apply: (x: string, m: unknown) => applyVolumeXml(x, m as Volume),
    declared: (m: unknown) => declaredVolume(m as VolumeState),
  },
  network: {
    parse: parseNetworkXml,
    build: (m: unknown) => buildNetworkXml(m as Network),
    apply: (x: string, m: unknown) => applyNetworkXml(x, m as Network),
    declared: (m: unknown) => declaredNetwork(m as NetworkState),
  },
};

describe("xml models over the corpus", () => {
  for (const s of corpus()) {
    const m = models[s.kind];
    describe(s.file, () => {
      it("parses to the expected model beside it", () => {
        assert.deepStrictEqual(JSON.parse(JSON.stringify(m.parse(s.xml))), s.expected);
      });
      it("applying its own model changes nothing", () => {
        assert.equal(m.apply(s.xml, m.parse(s.xml)), serializeXml(parseXml(s.xml)));
      });
      it("building the declared part and parsing it back gives the declared part", () => {
        const declared = m.declared(m.parse(s.xml));
        assert.deepStrictEqual(m.declared(m.parse(m.build(declared))), declared);
      });
    });
  }
});
