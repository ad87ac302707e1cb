import { Module } from '@nestjs/common';
import type { DynamicModule } from '@nestjs/common';
import { CancelTaskController } from './cancelling/cancel-task.controller.js';
import { IssueTaskController } from './issuing/issue-task.controller.js';
import { NodeReportsController } from './nodes/node-reports.controller.js';
import { SCHEDULER_HANDLERS } from './scheduler-handlers.js';
import type { SchedulerHandlers } from './scheduler-handlers.js';

@Module({})
export class SchedulerModule {
  static with(handlers: SchedulerHandlers): DynamicModule {
    return {
      module: SchedulerModule,
      controllers: [IssueTaskController, CancelTaskController, NodeReportsController],
      providers: [{ provide: SCHEDULER_HANDLERS, useValue: handlers }],
    };
  }
}
