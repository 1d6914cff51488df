import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DatabaseError } from "../errors.ts";
import {
  assertPostgresCanReach,
  canEnter,
  EmbeddedAccessError,
  embeddedAccessTargets,
  embeddedBinariesDir,
  findBlockedDirectories,
  type PostgresAccount,
  statDirectory,
} from "./postgresUserAccess.ts";

// An account that owns nothing here and belongs to no group the test's directories have.
const stranger: PostgresAccount = { name: "postgres", uid: 4_000_001, gids: [4_000_001] };
const root = fs.mkdtempSync(path.join(os.tmpdir(), "sluice-access-test-"));
fs.chmodSync(root, 0o755);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** A fresh directory under `root` with `mode`, holding `inner` (0755). */
function dirWithMode(name: string, mode: number, inner = "inner"): { dir: string; inner: string } {
  const dir = path.join(root, name);
  fs.mkdirSync(path.join(dir, inner), { recursive: true, mode: 0o755 });
  fs.chmodSync(dir, mode);
  return { dir, inner: path.join(dir, inner) };
}

describe("canEnter", () => {
  const owner: PostgresAccount = { name: "postgres", uid: 101, gids: [104, 103] };

  it("uses the owner bits for the owner, even where others may enter", () => {
    expect(canEnter({ mode: 0o700, uid: 101, gid: 0 }, owner)).toBe(true);
    expect(canEnter({ mode: 0o071, uid: 101, gid: 104 }, owner)).toBe(false);
  });

  it("uses the group bits for any of the account's groups", () => {
    expect(canEnter({ mode: 0o710, uid: 0, gid: 103 }, owner)).toBe(true);
    expect(canEnter({ mode: 0o701, uid: 0, gid: 104 }, owner)).toBe(false);
  });

  it("uses the others bits for everyone else, and for an account not created yet", () => {
    expect(canEnter({ mode: 0o711, uid: 0, gid: 0 }, owner)).toBe(true);
    expect(canEnter({ mode: 0o770, uid: 0, gid: 0 }, owner)).toBe(false);
    const notCreated: PostgresAccount = { name: "postgres", uid: undefined, gids: [] };
    expect(canEnter({ mode: 0o755, uid: 0, gid: 0 }, notCreated)).toBe(true);
    expect(canEnter({ mode: 0o750, uid: 0, gid: 0 }, notCreated)).toBe(false);
  });
});

describe("findBlockedDirectories", () => {
  it("names a 0700 parent of the target, with its mode", () => {
    const { dir, inner } = dirWithMode("private", 0o700);
    const blocked = findBlockedDirectories([{ dir: inner, purpose: "x" }], stranger, statDirectory);
    expect(blocked.map((b) => [b.path, b.mode])).toEqual([[dir, 0o700]]);
  });

  it("passes a directory others may only search (o+x), not read", () => {
    const { inner } = dirWithMode("searchable", 0o711);
    expect(findBlockedDirectories([{ dir: inner, purpose: "x" }], stranger, statDirectory)).toEqual([]);
  });

  it("lets the owner through its own 0700 directory", () => {
    const { dir, inner } = dirWithMode("owned", 0o700);
    const ownedByStranger = (p: string) => {
      const found = statDirectory(p);
      return found && p === dir ? { ...found, uid: stranger.uid ?? -1 } : found;
    };
    expect(findBlockedDirectories([{ dir: inner, purpose: "x" }], stranger, ownedByStranger)).toEqual([]);
  });

  it("lists every blocked directory once, outermost first, and skips ones not created yet", () => {
    const { dir: outer, inner } = dirWithMode("nested", 0o700, "a");
    fs.mkdirSync(path.join(inner, "b"), { mode: 0o700 });
    fs.chmodSync(path.join(inner, "b"), 0o700);
    const deep = path.join(inner, "b", "not-yet", "data");
    const blocked = findBlockedDirectories(
      [
        { dir: deep, purpose: "data" },
        { dir: inner, purpose: "binaries" },
      ],
      stranger,
      statDirectory,
    );
    expect(blocked.map((b) => b.path)).toEqual([outer, path.join(inner, "b")]);
  });
});

describe("assertPostgresCanReach", () => {
  it("fails with one line naming the 0700 directory above the binaries and the ways out", () => {
    const { dir: checkout } = dirWithMode("checkout", 0o700, "node_modules/native");
    const binaries = path.join(checkout, "node_modules", "native");
    for (const sub of ["bin", "lib", "share"]) fs.mkdirSync(path.join(binaries, sub));
    const dataDir = path.join(root, "open", "postgres");
    fs.mkdirSync(path.dirname(dataDir), { mode: 0o755 });

    const error = (() => {
      try {
        assertPostgresCanReach(embeddedAccessTargets(dataDir, binaries), stranger);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(EmbeddedAccessError);
    expect(error).toBeInstanceOf(DatabaseError);
    const { message, blocked } = error as EmbeddedAccessError;
    expect(blocked.map((b) => b.path)).toEqual([checkout]);
    expect(message).not.toContain("\n");
    expect(message).toContain(`cannot enter ${checkout} (mode 0700)`);
    expect(message).toContain(`the Postgres binaries in ${path.join(binaries, "bin")}`);
    expect(message).toMatch(/non-root user.*DATABASE_URL/);
    expect(message).toContain(`chmod o+x ${checkout}`);
  });

  it("names a 0700 parent of the data directory", () => {
    const { inner: parent, dir } = dirWithMode("home", 0o700, "project/.sluice");
    const dataDir = path.join(parent, "postgres");
    const error = (() => {
      try {
        assertPostgresCanReach(embeddedAccessTargets(dataDir, undefined), stranger);
      } catch (e) {
        return e as EmbeddedAccessError;
      }
    })();
    expect(error?.message).toContain(`cannot enter ${dir} (mode 0700), on the way to the data directory`);
  });

  it("passes when every directory on the way is open to others", () => {
    const { inner } = dirWithMode("public", 0o755, "native");
    for (const sub of ["bin", "lib", "share"]) fs.mkdirSync(path.join(inner, sub));
    const dataDir = path.join(root, "public", "data");
    expect(() => assertPostgresCanReach(embeddedAccessTargets(dataDir, inner), stranger)).not.toThrow();
  });
});

describe("embeddedBinariesDir", () => {
  it("finds the installed platform package's binaries", () => {
    const dir = embeddedBinariesDir();
    expect(dir).toBeDefined();
    expect(fs.existsSync(path.join(dir ?? "", "bin", "initdb"))).toBe(true);
  });
});
