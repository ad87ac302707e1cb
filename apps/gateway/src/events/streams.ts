import {
  accountStreamId,
  functionStreamId,
  parseAccountEvent,
  parseFunctionEvent,
  parseTaskEvent,
  taskStreamId,
} from '@canopy/contracts';
import type { AccountEvent, FunctionEvent, TaskEvent } from '@canopy/contracts';
import { readContractStream, type EventStore, type StreamRead } from '@canopy/event-store';

export { toNewEvents as newEvents, type StreamRead } from '@canopy/event-store';

// Streams the gateway reads: the event store is the source of truth where the read models may lag.

export async function readAccountStream(
  store: EventStore,
  accountId: string,
): Promise<StreamRead<AccountEvent>> {
  return readContractStream(store, accountStreamId(accountId), parseAccountEvent);
}

export async function readFunctionStream(
  store: EventStore,
  functionId: string,
): Promise<StreamRead<FunctionEvent>> {
  return readContractStream(store, functionStreamId(functionId), parseFunctionEvent);
}

export async function readTaskStream(
  store: EventStore,
  taskId: string,
): Promise<StreamRead<TaskEvent>> {
  return readContractStream(store, taskStreamId(taskId), parseTaskEvent);
}
