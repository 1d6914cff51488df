// Values global setup hands to every test file through vitest's provide/inject.
declare module "vitest" {
  export interface ProvidedContext {
    /** Maintenance-database URL of the server test databases are created on. */
    sluiceAdminUrl: string;
    /** Name of the migrated template database to clone. */
    sluiceTemplate: string;
  }
}

export {};
