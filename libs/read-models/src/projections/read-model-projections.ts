import { accountsProjection } from './accounts-projection.js';
import { functionsProjection } from './functions-projection.js';
import { nodesProjection } from './nodes-projection.js';
import type { ProjectionGroup } from './projection-group.js';
import { tasksProjection } from './tasks/tasks-projection.js';

/** Every projection of the `api` read models, run by the projector under checkpoint `api`. */
export const apiProjections: ProjectionGroup = {
  name: 'api',
  projections: [tasksProjection, functionsProjection, nodesProjection, accountsProjection],
};
