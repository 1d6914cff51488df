export { classifyTicket, type TicketVerdict } from "./answers.ts";
export { findSimModel, type SimModel, simModels } from "./catalog.ts";
export { type ManualClock, manualClock, type SimClock, systemClock } from "./clock.ts";
export {
  DEFAULT_DATASET_SIZE,
  type Ticket,
  ticketDataset,
  ticketDatasetJsonl,
} from "./dataset/ticketDataset.ts";
export { type Category, categories, type Urgency, urgencies } from "./dataset/ticketTemplates.ts";
export { type FaultConfig, type FaultKind, faultKinds } from "./faults.ts";
export { type RunningSimulator, type SimulatorOptions, startSimulator } from "./server.ts";
export type { BatchTimings, LatencyMode } from "./simContext.ts";
