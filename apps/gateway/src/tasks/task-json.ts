import type { TaskDetail, TaskListItem } from '@canopy/read-models';
import type { TaskView } from '@canopy/task-domain';

// The task as the task API shows it (apps/gateway/README.md "Reading tasks"): times are unix seconds
// as strings, null until reached; `status` is 0 until the task is terminal (docs/architecture.md
// "Task lifecycle").

export interface TaskJson {
  readonly id: string;
  readonly functionId: string;
  readonly issued: string;
  readonly assigned: string | null;
  readonly finished: string | null;
  readonly progress: number;
  readonly node: string | null;
  readonly timeout: number;
  readonly capabilities: {
    readonly cpuCount: number;
    readonly memSize: number;
    readonly networkLatency: number;
    readonly privileged: boolean;
  };
  readonly status: number;
}

export interface TaskListEntryJson {
  readonly id: string;
  readonly issued: string;
  readonly progress: number;
  readonly status: number;
}

export function unixSeconds(time: Date | string): string {
  return String(Math.floor(new Date(time).getTime() / 1000));
}

function optionalSeconds(time: Date | string | null): string | null {
  return time === null ? null : unixSeconds(time);
}

export function taskJsonFromReadModel(task: TaskDetail): TaskJson {
  return {
    id: task.taskId,
    functionId: task.functionId,
    issued: unixSeconds(task.issuedAt),
    assigned: optionalSeconds(task.assignedAt),
    finished: optionalSeconds(task.finishedAt),
    progress: task.progress,
    node: task.nodeId,
    timeout: task.timeoutSeconds,
    capabilities: { ...task.requirements },
    status: task.status,
  };
}

export function taskJsonFromStream(view: TaskView): TaskJson {
  return {
    id: view.taskId,
    functionId: view.functionId,
    issued: unixSeconds(view.issuedAt),
    assigned: optionalSeconds(view.assignedAt),
    finished: optionalSeconds(view.finishedAt),
    progress: view.progress,
    node: view.nodeId,
    timeout: view.timeout,
    capabilities: {
      cpuCount: view.requirements.cpuCount,
      memSize: view.requirements.memSize,
      networkLatency: view.requirements.networkLatency,
      privileged: view.requirements.privileged,
    },
    status: view.status,
  };
}

export function taskListEntryJson(item: TaskListItem): TaskListEntryJson {
  return {
    id: item.taskId,
    issued: unixSeconds(item.issuedAt),
    progress: item.progress,
    status: item.status,
  };
}
