import {
  IdentifierNode,
  type KyselyPlugin,
  OperationNodeTransformer,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryId,
  type QueryResult,
  type RootOperationNode,
  type TableNode,
  type UnknownRow,
} from 'kysely';

class TablePrefixTransformer extends OperationNodeTransformer {
  readonly #prefix: string;
  readonly #tables: ReadonlySet<string>;

  constructor(prefix: string, tables: Iterable<string>) {
    super();
    this.#prefix = prefix;
    this.#tables = new Set(tables);
  }

  protected override transformTable(node: TableNode, queryId?: QueryId): TableNode {
    const transformed = super.transformTable(node, queryId);
    const name = transformed.table.identifier.name;
    if (!this.#tables.has(name)) return transformed;
    return {
      ...transformed,
      table: { ...transformed.table, identifier: IdentifierNode.create(this.#prefix + name) },
    };
  }
}

/**
 * A Kysely plugin that writes `prefix + name` for each of the named tables, so several independent
 * sets of tables (tests, tenants) can share one database or schema. Only the listed names change:
 * aliases and other tables are left alone. Index names are not tables: prefix those yourself.
 *
 * @example
 * ```ts
 * const db = kysely.withPlugin(new TablePrefixPlugin('t1_', ['revocation_events']));
 * await db.selectFrom('revocation_events').selectAll().execute(); // reads t1_revocation_events
 * ```
 */
export class TablePrefixPlugin implements KyselyPlugin {
  readonly #transformer: TablePrefixTransformer;

  constructor(prefix: string, tables: Iterable<string>) {
    this.#transformer = new TablePrefixTransformer(prefix, tables);
  }

  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.#transformer.transformNode(args.node, args.queryId);
  }

  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
