import { functionEventTypes, parseFunctionEvent, type FunctionEventType } from '@canopy/contracts';
import { parseRecordedEvent, type Projection } from './projection.js';

const name = 'functions';

/** FunctionRegistered → `api.functions`, the function as registered. */
export const functionsProjection: Projection<FunctionEventType> = {
  name,
  handles: functionEventTypes,
  async apply(trx, recorded) {
    const event = parseRecordedEvent(name, recorded, parseFunctionEvent);
    switch (event.type) {
      case 'FunctionRegistered': {
        const { data } = event;
        const row = {
          function_id: data.functionId,
          account_id: data.accountId,
          name: data.name,
          description: data.description,
          lang: data.lang,
          type: data.type,
          runtime: data.runtime,
          cpu_count: data.capabilities.cpuCount,
          mem_size: data.capabilities.memSize,
          network_latency: data.capabilities.networkLatency,
          privileged: data.capabilities.privileged,
          timeout_seconds: data.capabilities.timeout,
          created_at: data.registeredAt,
          updated_at: data.registeredAt,
          last_stream_version: recorded.streamVersion,
        };
        await trx
          .insertInto('api.functions')
          .values(row)
          .onConflict((conflict) =>
            conflict
              .column('function_id')
              .doUpdateSet(row)
              .where('api.functions.last_stream_version', '<', String(recorded.streamVersion)),
          )
          .execute();
        return;
      }
      default:
        return unknownEvent(event.type);
    }
  },
};

function unknownEvent(type: never): never {
  throw new Error(`Unhandled function event ${String(type)}`);
}
