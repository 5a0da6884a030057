/**
 * Code generation from the API schemas: `crds.ts` builds the CustomResourceDefinitions
 * (pure), `structural.ts` turns zod's JSON Schema into Kubernetes structural schemas,
 * `render.ts` serialises them and `write.ts` writes or checks the committed files.
 */
export { CATEGORY, type CrdObject, crdFor, generateCrds, KINDS } from './crds.js';
export { crdFileName, GENERATED_HEADER, renderFiles, renderYaml } from './render.js';
export { missingDescriptions, StructuralSchemaError, toStructural } from './structural.js';
export { checkFiles, describeChange, type Drift, GENERATED_DIRS, writeFiles } from './write.js';
