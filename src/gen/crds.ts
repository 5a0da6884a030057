/**
 * The CustomResourceDefinitions of Skiff, computed from the zod schemas in `src/api`.
 * Pure: the same schemas always give the same objects (no timestamps, no versions).
 */
import { z } from 'zod';
import {
  API_GROUP,
  API_VERSION,
  hostConfigSpecSchema,
  hostConfigStatusSchema,
  hostStatusSchema,
  workloadSpecSchema,
  workloadStatusSchema,
} from '../api/index.js';
import { type JsonSchema, missingDescriptions, type StructuralSchema, toStructural } from './structural.js';

/** CrdObject is a CustomResourceDefinition manifest as a plain object. */
export type CrdObject = Record<string, unknown> & { metadata: { name: string }; spec: Record<string, unknown> };

type PrinterColumn = { name: string; type: string; jsonPath: string; description: string; priority?: number };

type KindSpec = {
  kind: string;
  plural: string;
  shortNames: string[];
  description: string;
  spec?: z.ZodType;
  status: z.ZodType;
  columns: PrinterColumn[];
  scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath: string };
};

const READY_COLUMN: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description: 'Status of the Ready condition.',
};
const AGE_COLUMN: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since the resource was created.',
};

/** KINDS describes every Skiff resource kind the generator turns into a CRD. */
export const KINDS: readonly KindSpec[] = [
  {
    kind: 'Workload',
    plural: 'workloads',
    shortNames: ['wl'],
    description:
      'Workload runs one or more WebAssembly components on Skiff hosts, with the host capabilities they are granted.',
    spec: workloadSpecSchema,
    status: workloadStatusSchema,
    columns: [
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired number of replicas.' },
      { name: 'Ready', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Replicas running.' },
      { ...READY_COLUMN, name: 'Status' },
      {
        name: 'Reason',
        type: 'string',
        jsonPath: '.status.conditions[?(@.type=="Ready")].reason',
        description: 'Reason of the Ready condition.',
      },
      AGE_COLUMN,
    ],
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    },
  },
  {
    kind: 'HostConfig',
    plural: 'hostconfigs',
    shortNames: ['hc'],
    description: 'HostConfig is the template the Skiff operator creates and updates host pods from.',
    spec: hostConfigSpecSchema,
    status: hostConfigStatusSchema,
    columns: [
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas', description: 'Desired number of host pods.' },
      { name: 'Available', type: 'integer', jsonPath: '.status.readyReplicas', description: 'Hosts that heartbeat.' },
      READY_COLUMN,
      AGE_COLUMN,
    ],
    scale: {
      specReplicasPath: '.spec.replicas',
      statusReplicasPath: '.status.replicas',
      labelSelectorPath: '.status.selector',
    },
  },
  {
    kind: 'Host',
    plural: 'hosts',
    shortNames: [],
    description: 'Host is one running Skiff host as seen from its heartbeats. Written by the operator only.',
    status: hostStatusSchema,
    columns: [
      { name: 'Pod', type: 'string', jsonPath: '.status.podName', description: 'Pod the host runs in.' },
      { name: 'Workloads', type: 'integer', jsonPath: '.status.workloadCount', description: 'Workloads on the host.' },
      {
        name: 'Capacity',
        type: 'integer',
        jsonPath: '.status.capacity.workloads',
        description: 'Maximum number of workloads.',
      },
      READY_COLUMN,
      { name: 'Cordoned', type: 'boolean', jsonPath: '.status.cordoned', description: 'Refuses new workloads.' },
      { name: 'Labels', type: 'string', jsonPath: '.status.labelSummary', description: 'Labels of the host.' },
      AGE_COLUMN,
    ],
  },
];

/** CATEGORY is the kubectl category of every Skiff resource (`kubectl get skiff`). */
export const CATEGORY = 'skiff';

function structural(schema: z.ZodType, path: string): StructuralSchema {
  const json = z.toJSONSchema(schema, { io: 'input', target: 'draft-2020-12', unrepresentable: 'throw' });
  return toStructural(json as JsonSchema, path);
}

function openApiSchema(k: KindSpec): StructuralSchema {
  const properties: Record<string, StructuralSchema> = {
    apiVersion: {
      description: 'APIVersion defines the versioned schema of this representation of an object.',
      type: 'string',
    },
    kind: {
      description: 'Kind is a string value representing the REST resource this object represents.',
      type: 'string',
    },
    // The API server owns the metadata schema and forbids a description here.
    metadata: { type: 'object' },
  };
  if (k.spec) properties.spec = structural(k.spec, 'spec');
  properties.status = structural(k.status, 'status');
  const schema: StructuralSchema = { description: k.description, type: 'object' };
  if (k.spec) schema.required = ['spec'];
  schema.properties = properties;
  return schema;
}

/** crdFor builds the CustomResourceDefinition of one kind; it throws when a field lacks a description. */
export function crdFor(k: KindSpec): CrdObject {
  const schema = openApiSchema(k);
  const missing = missingDescriptions(schema).filter((path) => path !== 'metadata');
  if (missing.length > 0) {
    throw new Error(`${k.kind}: fields without a description (add .describe() in src/api): ${missing.join(', ')}`);
  }
  const names: Record<string, unknown> = {
    kind: k.kind,
    listKind: `${k.kind}List`,
    plural: k.plural,
    singular: k.kind.toLowerCase(),
  };
  if (k.shortNames.length > 0) names.shortNames = k.shortNames;
  names.categories = [CATEGORY];
  const subresources: Record<string, unknown> = { status: {} };
  if (k.scale) subresources.scale = k.scale;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${API_GROUP}` },
    spec: {
      group: API_GROUP,
      names,
      scope: 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          additionalPrinterColumns: k.columns,
          subresources,
          schema: { openAPIV3Schema: schema },
        },
      ],
    },
  };
}

/** generateCrds returns every Skiff CRD, in a fixed order. */
export function generateCrds(): CrdObject[] {
  return KINDS.map(crdFor);
}
