// The test fixture's configuration, read once.
/** Server for test databases; when unset, global setup starts an embedded one. */
export const testDatabaseUrl: string | undefined = process.env.DATABASE_URL || undefined;
/** Keep every test database, passing or not (for debugging). */
export const keepTestDatabases: boolean = process.env.SLUICE_KEEP_TEST_DATABASES === "1";
