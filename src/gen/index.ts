/**
 * Code generation from the API schemas: `crds.ts` builds the CustomResourceDefinitions
 * (pure), `structural.ts` turns zod's JSON Schema into Kubernetes structural schemas,
 * `render.ts` serialises them and `write.ts` writes or checks the committed files.
 * `chart.ts` adds the Helm chart's CRDs and values schema; `deploy.ts` renders the chart into
 * `deploy/skiff.yaml` with helm.
 */
export {
  CHART_DIR,
  chartCrdFileName,
  renderValuesSchema,
  VALUES_SCHEMA_FILE,
  valuesJsonSchema,
} from './chart.js';
export { CATEGORY, type CrdObject, crdFor, generateCrds, KINDS } from './crds.js';
export {
  DEPLOY_CRDS_FILE,
  DEPLOY_CRDS_HEADER,
  DEPLOY_FILE,
  DEPLOY_HEADER,
  DEPLOY_RELEASE,
  HelmError,
  KUBE_VERSION,
  namespaceManifest,
  renderDeploy,
  renderDeployCrds,
  runHelm,
} from './deploy.js';
export { crdFileName, GENERATED_HEADER, renderFiles, renderYaml } from './render.js';
export { missingDescriptions, StructuralSchemaError, toStructural } from './structural.js';
export { checkFiles, type Drift, describeChange, GENERATED_DIRS, writeFiles } from './write.js';
