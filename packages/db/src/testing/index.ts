export { type CuttableProxy, startCuttableProxy } from "./cuttableProxy.ts";
export { cloneTemplate, dropDatabase, ensureTemplateDatabase, withAdminClient } from "./templateDatabase.ts";
export { type TestDatabase, useTestDatabase } from "./testDatabase.ts";
