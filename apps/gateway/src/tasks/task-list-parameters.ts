import type { KeysetKey, TaskListFilter } from '@canopy/read-models';
import { invalidParameter } from '../http/api-error.js';
import { objectIdParameter } from '../http/object-id-parameter.js';
import { parsePageParameters } from '../http/page-parameters.js';
import type { QueryRecord } from '../http/query-parameters.js';
import { integerParameter, issueTimeRange, singleParameter } from '../http/query-parameters.js';

// GET /v1/task/list?limit=&cursor=&functionId=&status=&since=&until=
//   limit, cursor  a page (http/page-parameters.ts);
//   functionId only this function's tasks;
//   status     0 (not terminal yet) or an HTTP status 100..599;
//   since, until  inclusive bounds on the issue time: a UTC day yyyy-mm-dd (the whole day) or unix
//              seconds (that second).

export interface TaskListParameters {
  readonly limit: number;
  readonly after: KeysetKey | null;
  readonly filter: TaskListFilter;
}

export function parseTaskListParameters(query: QueryRecord): TaskListParameters {
  const functionId = singleParameter(query, 'functionId');
  const status = singleParameter(query, 'status');
  return {
    ...parsePageParameters(query),
    filter: {
      ...(functionId === undefined
        ? {}
        : { functionId: objectIdParameter('functionId', functionId) }),
      ...(status === undefined ? {} : { status: statusParameter(status) }),
      ...issueTimeRange(
        { name: 'since', value: singleParameter(query, 'since') },
        { name: 'until', value: singleParameter(query, 'until') },
        true,
      ),
    },
  };
}

function statusParameter(value: string): number {
  const status = integerParameter('status', value, 0, 599);
  if (status !== 0 && status < 100) {
    throw invalidParameter('status', 'must be 0 (not finished) or an HTTP status from 100 to 599');
  }
  return status;
}
