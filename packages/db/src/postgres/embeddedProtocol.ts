import type { DatabaseErrorCode } from "../errors.ts";

/** What the parent tells the embedded-server child at spawn (argv[2], JSON). */
export interface EmbeddedChildConfig {
  dataDir: string;
  port: number;
  password: string;
  databases: string[];
  /** Trade durability for speed (test servers). */
  ephemeral: boolean;
}

/** Messages the child sends over IPC. */
export type EmbeddedChildMessage =
  | { type: "ready"; initialised: boolean }
  | { type: "error"; code: DatabaseErrorCode; message: string }
  | { type: "stopped" };
