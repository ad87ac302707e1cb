import type { TaskCsvFilter } from '@canopy/read-models';
import { invalidParameter } from '../http/api-error.js';
import { objectIdParameter } from '../http/object-id-parameter.js';
import type { QueryRecord } from '../http/query-parameters.js';
import { booleanParameter, issueTimeRange, singleParameter } from '../http/query-parameters.js';

// GET /v1/task/:functionId/csv?showPlain=&functionId=&scheduleId=&dateSince=&dateUntil=
//   showPlain   true: bodies as UTF-8 text; false (default): bodies as base64;
//   functionId  optional, as in the contract; must then be the path's function;
//   scheduleId  only the tasks this schedule issued; the contract's table spells it `scheduledId`,
//               its example `scheduleId`: both are accepted (and must agree when both are given);
//   dateSince, dateUntil  UTC days yyyy-mm-dd, both inclusive.

export interface TaskCsvParameters {
  readonly showPlain: boolean;
  readonly filter: TaskCsvFilter;
}

export function parseTaskCsvParameters(functionId: string, query: QueryRecord): TaskCsvParameters {
  const queryFunctionId = singleParameter(query, 'functionId');
  if (
    queryFunctionId !== undefined &&
    objectIdParameter('functionId', queryFunctionId) !== functionId
  ) {
    throw invalidParameter('functionId', 'must be the function id of the path when given');
  }
  const scheduleId = scheduleParameter(query);
  const showPlain = singleParameter(query, 'showPlain');
  return {
    showPlain: showPlain === undefined ? false : booleanParameter('showPlain', showPlain),
    filter: {
      functionId,
      ...(scheduleId === undefined ? {} : { scheduleId }),
      ...issueTimeRange(
        { name: 'dateSince', value: singleParameter(query, 'dateSince') },
        { name: 'dateUntil', value: singleParameter(query, 'dateUntil') },
        false,
      ),
    },
  };
}

function scheduleParameter(query: QueryRecord): string | undefined {
  const scheduleValue = singleParameter(query, 'scheduleId');
  const scheduledValue = singleParameter(query, 'scheduledId');
  const scheduleId =
    scheduleValue === undefined ? undefined : objectIdParameter('scheduleId', scheduleValue);
  const scheduledId =
    scheduledValue === undefined ? undefined : objectIdParameter('scheduledId', scheduledValue);
  if (scheduleId !== undefined && scheduledId !== undefined && scheduleId !== scheduledId) {
    throw invalidParameter('scheduledId', 'must equal scheduleId when both are given');
  }
  return scheduleId ?? scheduledId;
}
