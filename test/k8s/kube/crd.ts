/**
 * A throwaway custom resource with a random group, so a test can delete and re-create it
 * without disturbing other test files: re-creating gives the resource a fresh watch cache,
 * and a watch from a resourceVersion before that is answered 410 Gone.
 */
import { randomBytes } from 'node:crypto';
import type { Kube, ResourceRef } from '../../../src/operator/kube/index.js';
import { waitFor } from '../cluster.js';

const CRDS: ResourceRef = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  plural: 'customresourcedefinitions',
  kind: 'CustomResourceDefinition',
  namespaced: false,
};

/** ThrowawayCrd is a Widget resource in its own group. */
export type ThrowawayCrd = { resource: ResourceRef; recreate: () => Promise<void>; remove: () => Promise<void> };

/** throwawayCrd installs a Widget CRD in a random group and waits until it is served. */
export async function throwawayCrd(kube: Kube, namespace: string): Promise<ThrowawayCrd> {
  const group = `t${randomBytes(4).toString('hex')}.test.skiff.dev`;
  const resource: ResourceRef = { group, version: 'v1', plural: 'widgets', kind: 'Widget', namespaced: true };
  const name = `widgets.${group}`;
  const crd = {
    metadata: { name },
    spec: {
      group,
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
            },
          },
        },
      ],
    },
  };
  const install = async () => {
    await kube.apply(CRDS, crd);
    await waitFor(`${name} served`, async () => ((await kube.list(resource, namespace)) ? true : undefined));
  };
  const remove = async () => {
    await kube.delete(CRDS, undefined, name);
    await waitFor(`${name} deleted`, async () => ((await kube.get(CRDS, undefined, name)) ? undefined : true), 60_000);
  };
  await install();
  return {
    resource,
    recreate: async () => {
      await remove();
      await install();
    },
    remove,
  };
}
