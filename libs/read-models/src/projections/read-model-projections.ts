import { accountsProjection } from './accounts-projection.js';
import { functionsProjection } from './functions-projection.js';
import { nodesProjection } from './nodes-projection.js';
import type { ProjectionGroup } from './projection-group.js';
import { schedulesProjection } from './schedules-projection.js';
import { tasksProjection } from './tasks/tasks-projection.js';

/**
 * Every projection of the `api` read models, run by the projector under checkpoint `api`. Nodes
 * come before tasks: the tasks projection counts running tasks on `api.nodes` rows, which must
 * exist when a batch announces a node and assigns it a task.
 */
export const apiProjections: ProjectionGroup = {
  name: 'api',
  projections: [
    nodesProjection,
    tasksProjection,
    functionsProjection,
    accountsProjection,
    schedulesProjection,
  ],
};
