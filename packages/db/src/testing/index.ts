// Tests that arrange or inspect rows directly write raw SQL through this, never through kysely itself:
// the lint rule that keeps SQL inside packages/db then needs no exception for tests.
export { sql } from "kysely";
export { findFreePort } from "../postgres/freePort.ts";
export { type CuttableProxy, startCuttableProxy } from "./cuttableProxy.ts";
export {
  type NodeProcess,
  type ProcessResult,
  runNodeScript,
  startNodeProcess,
} from "./nodeProcess.ts";
export { cloneTemplate, dropDatabase, ensureTemplateDatabase, withAdminClient } from "./templateDatabase.ts";
export { type TestDatabase, useTestDatabase } from "./testDatabase.ts";
