import { sql } from "kysely";
import type { Db } from "../createDb.ts";
import type { Ticket, TicketCategory, TicketUrgency } from "../schema.ts";
import { pageOf } from "./paging.ts";

/** A ticket as it is created. */
export interface TicketInput {
  subject: string;
  body: string;
  customerEmail: string;
}

/** Filters and paging of a ticket listing. */
export interface TicketListOptions {
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string | undefined;
  urgency?: TicketUrgency | undefined;
  category?: TicketCategory | undefined;
  classified?: boolean | undefined;
}

/** A page of tickets and the cursor of the next one (null at the end). */
export interface TicketPage {
  items: Ticket[];
  nextCursor: string | null;
}

// The cursor names the last row seen; Postgres compares positions itself, at full timestamp precision.
function encodeCursor(ticket: Ticket): string {
  return Buffer.from(`t:${ticket.id}`).toString("base64url");
}

/** The ticket id a cursor names, or undefined when it is not one of ours. */
export function decodeTicketCursor(cursor: string): { id: string } | undefined {
  const text = Buffer.from(cursor, "base64url").toString("utf8");
  const id = text.startsWith("t:") ? text.slice(2) : "";
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ? { id } : undefined;
}

/** Inserts tickets for a tenant, all or none, returning them in input order. */
export async function insertTickets(db: Db, tenantId: string, tickets: TicketInput[]): Promise<Ticket[]> {
  if (tickets.length === 0) return [];
  const rows = await db
    .insertInto("tickets")
    .values(
      tickets.map((t) => ({ tenantId, subject: t.subject, body: t.body, customerEmail: t.customerEmail })),
    )
    .returningAll()
    .execute();
  return rows;
}

/** One of the tenant's tickets, or undefined (another tenant's id finds nothing). */
export async function findTicket(db: Db, tenantId: string, id: string): Promise<Ticket | undefined> {
  return db
    .selectFrom("tickets")
    .selectAll()
    .where("tenantId", "=", tenantId)
    .where("id", "=", id)
    .executeTakeFirst();
}

/** The tenant's tickets among `ids` (others' ids are silently absent). */
export async function findTickets(db: Db, tenantId: string, ids: string[]): Promise<Ticket[]> {
  if (ids.length === 0) return [];
  return db
    .selectFrom("tickets")
    .selectAll()
    .where("tenantId", "=", tenantId)
    .where("id", "in", ids)
    .execute();
}

/** A page of the tenant's tickets, oldest first, with optional filters. */
export async function listTickets(
  db: Db,
  tenantId: string,
  options: TicketListOptions,
  position?: { id: string },
): Promise<TicketPage> {
  let query = db.selectFrom("tickets").selectAll().where("tenantId", "=", tenantId);
  if (options.urgency) query = query.where("urgency", "=", options.urgency);
  if (options.category) query = query.where("category", "=", options.category);
  if (options.classified !== undefined) {
    query = query.where("classifiedAt", options.classified ? "is not" : "is", null);
  }
  if (position) {
    query = query.where(
      sql<boolean>`(created_at, id) > (select c.created_at, c.id from tickets c where c.id = ${position.id} and c.tenant_id = ${tenantId})`,
    );
  }
  const rows = await query
    .orderBy("createdAt")
    .orderBy("id")
    .limit(options.limit + 1)
    .execute();
  return pageOf(rows, options.limit, encodeCursor);
}

/** Ids of the tenant's unclassified tickets, oldest first. */
export async function listUnclassifiedTicketIds(db: Db, tenantId: string, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom("tickets")
    .select("id")
    .where("tenantId", "=", tenantId)
    .where("classifiedAt", "is", null)
    .orderBy("createdAt")
    .orderBy("id")
    .limit(limit)
    .execute();
  return rows.map((r) => r.id);
}

/** Stores a validated classification on the tenant's ticket; undefined when it is not theirs. */
export async function saveTicketClassification(
  db: Db,
  tenantId: string,
  id: string,
  c: {
    urgency: TicketUrgency;
    category: TicketCategory;
    suggestedResponse: string;
    confidence: number;
    modelUsed: string;
    costMicros: number;
  },
): Promise<Ticket | undefined> {
  return db
    .updateTable("tickets")
    .set({ ...c, classifiedAt: sql<Date>`now()`, updatedAt: sql<Date>`now()` })
    .where("tenantId", "=", tenantId)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirst();
}

/** Counts of the tenant's tickets by urgency and by category (classified ones), and totals. */
export async function ticketStats(
  db: Db,
  tenantId: string,
): Promise<{
  total: number;
  classified: number;
  byUrgency: Record<string, number>;
  byCategory: Record<string, number>;
  costMicros: number;
}> {
  const rows = await db
    .selectFrom("tickets")
    .select(["urgency", "category"])
    .select((eb) => [eb.fn.countAll<number>().as("n"), eb.fn.sum<number>("costMicros").as("cost")])
    .where("tenantId", "=", tenantId)
    .groupBy(["urgency", "category"])
    .execute();
  const byUrgency: Record<string, number> = {};
  const byCategory: Record<string, number> = {};
  let total = 0;
  let classified = 0;
  let costMicros = 0;
  for (const row of rows) {
    const n = Number(row.n);
    total += n;
    costMicros += Number(row.cost ?? 0);
    if (row.urgency && row.category) {
      classified += n;
      byUrgency[row.urgency] = (byUrgency[row.urgency] ?? 0) + n;
      byCategory[row.category] = (byCategory[row.category] ?? 0) + n;
    }
  }
  return { total, classified, byUrgency, byCategory, costMicros };
}
