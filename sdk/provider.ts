import * as pulumi from "@pulumi/pulumi";
/* eslint-disable @typescript-eslint/no-require-imports -- the implementation is required lazily, by package path, inside each method (see forwarder) */
// The one link from the SDK to the provider, type-only (erased at compile time: the methods' JavaScript, which
// Pulumi serializes into the state, is unchanged): the implementation is required lazily by package path inside
// each method; this import types that require and makes the link visible to the import check.
import type { ResourceImpl } from "../provider/resources/provider";

/**
 * A dynamic provider that forwards every call to our installed implementation.
 *
 * Pulumi serializes the provider object into each resource's state and runs the OLD text for delete and
 * refresh. So the object captures only two strings, and each method requires the implementation by package
 * path inside its body: resources created by an older release run the currently installed code, the text stays
 * the same across releases (no spurious diffs), and no live client or secret is ever captured. The package path
 * (not a relative one) is what resolves from the program's directory, where the plugin loads this text.
 */
export function forwarder(module: string, exportName: string): pulumi.dynamic.ResourceProvider {
  return {
    async configure(req) {
      // The dynamic provider receives the whole stack config; `virt:uri` is the default connection URI.
      require("pulumi-virt/dist/provider/resources/connections").setConfiguredUri(req.config.get("virt:uri"));
    },
    async check(olds, news) {
      return (require(`pulumi-virt/dist/provider/resources/${module}`) as Record<string, ResourceImpl>)[exportName]!.check(olds, news).catch((e: unknown) => {
        throw require("pulumi-virt/dist/provider/resources/resource.js").reported(e, news, "check");
      });
    },
    async diff(id, olds, news) {
      return (require(`pulumi-virt/dist/provider/resources/${module}`) as Record<string, ResourceImpl>)[exportName]!.diff(id, olds, news).catch((e: unknown) => {
        throw require("pulumi-virt/dist/provider/resources/resource.js").reported(e, news, "diff");
      });
    },
    async create(inputs) {
      return (require(`pulumi-virt/dist/provider/resources/${module}`) as Record<string, ResourceImpl>)[exportName]!.create(inputs);
    },
    async read(id, props) {
      return (require(`pulumi-virt/dist/provider/resources/${module}`) as Record<string, ResourceImpl>)[exportName]!.read(id, props).catch((e: unknown) => {
        throw require("pulumi-virt/dist/provider/resources/resource.js").reported(e, props, "refresh");
      });
    },
    async update(id, olds, news) {
      return (require(`pulumi-virt/dist/provider/resources/${module}`) as Record<string, ResourceImpl>)[exportName]!.update(id, olds, news);
    },
    async delete(id, props) {
      return (require(`pulumi-virt/dist/provider/resources/${module}`) as Record<string, ResourceImpl>)[exportName]!.delete(id, props).catch((e: unknown) => {
        throw require("pulumi-virt/dist/provider/resources/resource.js").reported(e, props, "delete");
      });
    },
  };
}

/**
 * The `__owner` input every resource passes: who this resource is (project, stack, type and name, under its
 * parent's URN when it has one). A create marks what it makes with it, so a create interrupted after making
 * its object (a killed provider or daemon) is resumed by the next up instead of failing "already exists".
 * It never reaches libvirt verbatim and is not part of any diff. See provider/resources/ownership.ts.
 */
export function ownerInput(type: string, name: string, opts?: pulumi.CustomResourceOptions): pulumi.Input<string> {
  const own = `${pulumi.getProject()}/${pulumi.getStack()}/virt:${type}/${name}`;
  return opts?.parent !== undefined ? opts.parent.urn.apply((u) => `${u}/${own}`) : own;
}

/** Stack config `virt:uri`, when a lookup function runs inside a Pulumi program. */
export function configuredUri(): string | undefined {
  try {
    return new pulumi.Config("virt").get("uri");
  } catch {
    return undefined; // not inside a program (plain Node): LIBVIRT_DEFAULT_URI and the default apply
  }
}
