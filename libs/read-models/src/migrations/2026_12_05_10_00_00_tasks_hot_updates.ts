/* eslint-disable @typescript-eslint/no-explicit-any -- migrations are frozen in time: they must not depend on today's schema types */
import { sql, type Kysely } from 'kysely';

// A task's row is written again by each batch that brings it events: assigned, progressed, finished.
// An update that changes no indexed column and finds room on its page is a HOT update: no index
// gets a new entry, which is most of the cost of writing a row. Since the node counts come from
// api.nodes.running_tasks, nothing reads tasks_assigned_node_idx, and it made every assignment an
// index change (its predicate reads `state`); without it only the terminal event changes an
// indexed column (`status`). Pages are filled to 70 %, leaving room for the updated versions.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DROP INDEX api.tasks_assigned_node_idx`.execute(db);
  await sql`ALTER TABLE api.tasks SET (fillfactor = 70)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`ALTER TABLE api.tasks RESET (fillfactor)`.execute(db);
  await db.schema
    .createIndex('tasks_assigned_node_idx')
    .on('api.tasks')
    .column('node_id')
    .where(sql.ref('state'), '=', 'assigned')
    .execute();
}
