export { cloneTemplate, dropDatabase, ensureTemplateDatabase, withAdminClient } from "./templateDatabase.ts";
export { type TestDatabase, useTestDatabase } from "./testDatabase.ts";
