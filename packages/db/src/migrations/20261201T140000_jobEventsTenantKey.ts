import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// An event's tenant is its job's tenant, and events already go with their job (job_id cascades),
// so the tenant key on job_events only cost a check per inserted event: about a fifth of the
// statement that completes a batch of jobs.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table job_events drop constraint job_events_tenant_id_fkey`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`alter table job_events add constraint job_events_tenant_id_fkey
    foreign key (tenant_id) references tenants (id) on delete cascade`.execute(db);
}
