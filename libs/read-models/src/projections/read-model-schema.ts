import {
  IdentifierNode,
  OperationNodeTransformer,
  type Kysely,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type SchemableIdentifierNode,
  type UnknownRow,
} from 'kysely';
import type { ReadModelDatabase } from '../schema/read-model-database.js';

/** The schema the API reads, and the one every table of `ReadModelDatabase` is named in. */
export const API_SCHEMA = 'api';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

class ApiSchemaTransformer extends OperationNodeTransformer {
  constructor(private readonly schema: string) {
    super();
  }

  protected override transformSchemableIdentifier(
    node: SchemableIdentifierNode,
  ): SchemableIdentifierNode {
    const transformed = super.transformSchemableIdentifier(node);
    if (transformed.schema?.name !== API_SCHEMA) return transformed;
    return { ...transformed, schema: IdentifierNode.create(this.schema) };
  }
}

/** Rewrites every `api.<table>` a query names into `<schema>.<table>`. */
export class ReadModelSchemaPlugin implements KyselyPlugin {
  private readonly transformer: ApiSchemaTransformer;

  constructor(readonly schema: string) {
    if (!SCHEMA_NAME.test(schema)) throw new RangeError(`not a schema name: ${schema}`);
    this.transformer = new ApiSchemaTransformer(schema);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node);
  }

  transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return Promise.resolve(args.result);
  }
}

/**
 * The same read models in another schema with the same tables (a rebuild projects into a fresh
 * one): projections, written against `api.*`, then read and write there instead.
 */
export function inReadModelSchema<Db extends Kysely<ReadModelDatabase>>(
  db: Db,
  schema: string,
): Db {
  if (schema === API_SCHEMA) return db;
  return db.withPlugin(new ReadModelSchemaPlugin(schema)) as Db;
}
