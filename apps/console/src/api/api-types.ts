import type { paths } from '@canopy/client';

// The API's shapes the console shows, named once from the generated client types.

type Json<Answer> = Answer extends { content: { 'application/json': infer Body } } ? Body : never;

export type TaskEntry = Json<paths['/v1/task/list']['get']['responses']['200']>[number];
export type TaskDetail = Json<paths['/v1/task/{id}']['get']['responses']['200']>;
export type TaskHistoryEntry = Json<
  paths['/v1/task/{id}/events']['get']['responses']['200']
>[number];
export type FunctionEntry = Json<paths['/v1/function/list']['get']['responses']['200']>[number];
export type FunctionDetail = Json<paths['/v1/function/{id}']['get']['responses']['200']>;
export type NodeEntry = Json<paths['/v1/node/list']['get']['responses']['200']>[number];
export type Schedule = Json<paths['/v1/schedule/{id}']['get']['responses']['200']>;
export type AccountMetrics = Json<paths['/v1/metrics']['get']['responses']['200']>;
export type FunctionDefinition = NonNullable<
  paths['/v1/function']['post']['requestBody']
>['content']['application/json'];
