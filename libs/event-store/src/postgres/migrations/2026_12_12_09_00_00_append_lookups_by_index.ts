import { sql, type Kysely } from 'kysely';
import { up as planEventIdLookupPerCall } from './2026_12_10_09_00_00_plan_event_id_lookup_per_call.js';

// Frozen in time: never edit a migration that has shipped; add a new one.
//
// event_store.append_events as 2026_12_05_07_00_00_create_append_events made it (see there for what
// it does and why), with every statement's plan cached per connection again and no sequential scan
// of the events table in any of them (SET enable_seqscan = off for the function's duration).
//
// 2026_12_10_09_00_00_plan_event_id_lookup_per_call planned the event-id look-up anew for each call
// (EXECUTE), because its cached generic plan, made while the table was small, was a sequential
// scan, kept for the connection's life when the table's statistics never change (autovacuum off).
// Planning it costs about 0.15 ms of server time per call, a fifth of a small group commit. With
// sequential scans disabled for the function, the cached plan of the look-up is an index scan
// whatever the table held when it was made, and so is the stream-version look-up's (an index scan
// already; now whatever the statistics say). No statement of the function needs a sequential scan:
// the others read the call's arrays.

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE OR REPLACE FUNCTION event_store.append_events(
      request_streams text[],
      request_expected_versions int8[],
      request_sizes int4[],
      event_ids uuid[],
      event_types text[],
      event_data text[],
      event_metadata text[]
    )
    RETURNS TABLE (
      request_outcome text,
      request_version int8,
      request_position int8,
      conflicting_event_id uuid
    )
    LANGUAGE plpgsql
    -- The plans of its statements are cached per connection, generic ones (see the header), made
    -- without sequential scans of the log: every table access is an index look-up.
    SET plan_cache_mode = force_generic_plan
    SET enable_seqscan = off
    AS $function$
    DECLARE
      total_events int4 := coalesce(cardinality(event_ids), 0);
      -- Current version per stream, kept up to date as requests of this call are accepted.
      known_streams text[];
      known_versions int8[];
      -- Where the call's event ids are already stored.
      stored_ids uuid[];
      stored_streams text[];
      stored_versions int8[];
      stored_positions int8[];
      -- Per event of the call: its stream, and its version if it is to be written (else NULL).
      row_streams text[] := array_fill(NULL::text, ARRAY[total_events]);
      row_versions int8[] := array_fill(NULL::int8, ARRAY[total_events]);
      written int4 := 0;
      positions int8[];
      -- Per request: the answer, and for an accepted one the number of its last written row.
      outcomes text[] := '{}';
      outcome_versions int8[] := '{}';
      outcome_positions int8[] := '{}';
      outcome_rows int4[] := '{}';
      outcome_ids uuid[] := '{}';
      first_event int4 := 1;
      stream text;
      expected int8;
      size int4;
      ids uuid[];
      stream_index int4;
      current_version int8;
      first_version int8;
      place int4;
      last_place int4;
      conflicting_id uuid;
    BEGIN
      PERFORM pg_advisory_xact_lock(keys.lock_key)
      FROM (
        SELECT DISTINCT hashtext(requested.stream_id) AS lock_key
        FROM unnest(request_streams) AS requested(stream_id)
        ORDER BY lock_key
      ) AS keys;

      SELECT array_agg(requested.stream_id),
             array_agg(coalesce((SELECT max(e.stream_version) FROM event_store.events e
                                 WHERE e.stream_id = requested.stream_id), 0))
      INTO known_streams, known_versions
      FROM (SELECT DISTINCT unnest(request_streams) AS stream_id) AS requested;

      SELECT coalesce(array_agg(e.event_id), '{}'), coalesce(array_agg(e.stream_id), '{}'),
             coalesce(array_agg(e.stream_version), '{}'), coalesce(array_agg(e.global_position), '{}')
      INTO stored_ids, stored_streams, stored_versions, stored_positions
      FROM event_store.events e
      WHERE e.event_id = ANY (event_ids);

      FOR request IN 1 .. coalesce(cardinality(request_streams), 0) LOOP
        stream := request_streams[request];
        expected := request_expected_versions[request];
        size := request_sizes[request];
        ids := event_ids[first_event : first_event + size - 1];
        stream_index := array_position(known_streams, stream);
        current_version := known_versions[stream_index];

        IF ids && stored_ids THEN
          -- A retry if every id is stored in this stream, in order, where this append would have
          -- put it (with 'any': wherever the first one is); otherwise the ids are taken.
          first_version := CASE WHEN expected IS NULL
                                THEN stored_versions[array_position(stored_ids, ids[1])]
                                ELSE expected + 1 END;
          conflicting_id := NULL;
          FOR k IN 1 .. size LOOP
            place := array_position(stored_ids, ids[k]);
            IF place IS NULL OR first_version IS NULL
               OR stored_streams[place] <> stream OR stored_versions[place] <> first_version + k - 1
            THEN
              conflicting_id := CASE WHEN place IS NOT NULL THEN ids[k]
                               ELSE (SELECT id FROM unnest(ids) WITH ORDINALITY AS u(id, n)
                                     WHERE id = ANY (stored_ids) ORDER BY n LIMIT 1) END;
              EXIT;
            END IF;
            last_place := place;
          END LOOP;
          IF conflicting_id IS NULL THEN
            outcomes := outcomes || 'repeated'::text;
            outcome_versions := outcome_versions || stored_versions[last_place];
            outcome_positions := outcome_positions || stored_positions[last_place];
          ELSE
            outcomes := outcomes || 'event_id_conflict'::text;
            outcome_versions := outcome_versions || NULL::int8;
            outcome_positions := outcome_positions || NULL::int8;
          END IF;
          outcome_rows := outcome_rows || NULL::int4;
          outcome_ids := outcome_ids || conflicting_id;
        ELSIF expected IS NOT NULL AND expected <> current_version THEN
          outcomes := outcomes || 'version_conflict'::text;
          outcome_versions := outcome_versions || current_version;
          outcome_positions := outcome_positions || NULL::int8;
          outcome_rows := outcome_rows || NULL::int4;
          outcome_ids := outcome_ids || NULL::uuid;
        ELSE
          FOR k IN 1 .. size LOOP
            row_streams[first_event + k - 1] := stream;
            row_versions[first_event + k - 1] := current_version + k;
          END LOOP;
          written := written + size;
          known_versions[stream_index] := current_version + size;
          outcomes := outcomes || 'appended'::text;
          outcome_versions := outcome_versions || (current_version + size);
          outcome_positions := outcome_positions || NULL::int8;
          outcome_rows := outcome_rows || written;
          outcome_ids := outcome_ids || NULL::uuid;
        END IF;
        first_event := first_event + size;
      END LOOP;

      IF written > 0 THEN
        PERFORM pg_advisory_lock(hashtext('event_store.global_position'), 0);
        BEGIN
          -- One backend's identity values increase, so sorted positions are in insertion order.
          WITH inserted AS (
            INSERT INTO event_store.events (stream_id, stream_version, event_id, type, data, metadata)
            SELECT e.stream_id, e.stream_version, e.event_id, e.type, e.data::jsonb, e.metadata::jsonb
            FROM unnest(row_streams, row_versions, event_ids, event_types, event_data, event_metadata)
                 WITH ORDINALITY AS e(stream_id, stream_version, event_id, type, data, metadata, n)
            WHERE e.stream_version IS NOT NULL
            ORDER BY e.n
            RETURNING global_position
          )
          SELECT array_agg(inserted.global_position ORDER BY inserted.global_position)
          INTO positions
          FROM inserted;
        EXCEPTION WHEN OTHERS THEN
          PERFORM pg_advisory_unlock(hashtext('event_store.global_position'), 0);
          RAISE;
        END;
        PERFORM pg_advisory_unlock(hashtext('event_store.global_position'), 0);
        PERFORM pg_notify('event_store', '');
      END IF;

      RETURN QUERY
      SELECT o.outcome, o.version, coalesce(o.known_position, positions[o.last_row]), o.conflicting
      FROM unnest(outcomes, outcome_versions, outcome_positions, outcome_rows, outcome_ids)
           WITH ORDINALITY AS o(outcome, version, known_position, last_row, conflicting, n)
      ORDER BY o.n;
    END;
    $function$
  `.execute(db);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  await planEventIdLookupPerCall(db);
}
