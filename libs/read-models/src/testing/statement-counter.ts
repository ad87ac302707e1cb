import type { KyselyPlugin } from 'kysely';

/**
 * Counts the statements run through the kysely instance it is installed on (`withPlugin`): each
 * result is one statement sent (query builders embedded in another statement are not counted).
 */
export class StatementCounter implements KyselyPlugin {
  count = 0;

  transformQuery: KyselyPlugin['transformQuery'] = (args) => args.node;

  transformResult: KyselyPlugin['transformResult'] = (args) => {
    this.count += 1;
    return Promise.resolve(args.result);
  };
}
