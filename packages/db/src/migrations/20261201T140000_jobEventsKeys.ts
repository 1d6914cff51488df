import { type Kysely, sql } from "kysely";

// Frozen history: never edit after it lands; add a new migration instead.

// Job events are written only in the transaction that writes their job's row, so their foreign
// keys checked nothing that could fail, and cost a lookup and a row lock on `jobs` per inserted
// event: about half of the statement that completes a batch of jobs. An event's tenant is its
// job's tenant; events still go with their job, deleted by one statement-level trigger (a tenant's
// deletion reaches them through its jobs' cascade).
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table job_events drop constraint job_events_tenant_id_fkey`.execute(db);
  await sql`alter table job_events drop constraint job_events_job_id_fkey`.execute(db);
  await sql`create function sluice_delete_job_events() returns trigger language plpgsql as $$
    begin
      delete from job_events e using gone g where e.job_id = g.id;
      return null;
    end $$`.execute(db);
  await sql`create trigger jobs_delete_events after delete on jobs referencing old table as gone
    for each statement execute function sluice_delete_job_events()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`drop trigger jobs_delete_events on jobs`.execute(db);
  await sql`drop function sluice_delete_job_events()`.execute(db);
  await sql`alter table job_events add constraint job_events_job_id_fkey
    foreign key (job_id) references jobs (id) on delete cascade`.execute(db);
  await sql`alter table job_events add constraint job_events_tenant_id_fkey
    foreign key (tenant_id) references tenants (id) on delete cascade`.execute(db);
}
