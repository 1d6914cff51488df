export { type CascadeRunInput, runCascade, validatorsFor } from "./cascadeEngine.ts";
export { recordCascadeRun } from "./cascadeRecorder.ts";
export { type CascadeRegistry, createCascadeRegistry, isCascadeName } from "./cascadeRegistry.ts";
export type { CascadeAttempt, CascadeResult } from "./cascadeResult.ts";
export {
  CASCADE_PREFIX,
  type CascadeSpec,
  type CascadeSpecInput,
  cascadeSpecSchema,
  defaultCascades,
} from "./cascadeSpec.ts";
export { type CascadeStreamEvent, type CascadeStreamMode, streamCascade } from "./cascadeStream.ts";
export { logprobConfidence, selfReportedConfidence } from "./confidence.ts";
export { estimateComplexity } from "./preRouter.ts";
export {
  confidenceValidator,
  type Draft,
  heuristicsValidator,
  structuredOutputValidator,
  type Validator,
  type Verdict,
  validateDraft,
} from "./validators.ts";
