import {
  OperationNodeTransformer,
  type KyselyPlugin,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  type UnknownRow,
  type TableNode,
  IdentifierNode,
  SchemableIdentifierNode,
} from 'kysely';

class PrefixTransformer extends OperationNodeTransformer {
  constructor(private readonly prefix: string) {
    super();
  }
  protected override transformTable(node: TableNode): TableNode {
    const t = super.transformTable(node);
    const id = t.table.identifier.name;
    if (id.startsWith(this.prefix)) return t;
    const renamed = t.table.schema
      ? SchemableIdentifierNode.createWithSchema(t.table.schema.name, `${this.prefix}${id}`)
      : SchemableIdentifierNode.create(`${this.prefix}${id}`);
    return { ...t, table: renamed };
  }
}

/** Applies `[Database] TablePrefix` to every table name in every query. */
export class TablePrefixPlugin implements KyselyPlugin {
  private readonly transformer: PrefixTransformer;
  constructor(prefix: string) {
    this.transformer = new PrefixTransformer(prefix);
  }
  transformQuery(args: PluginTransformQueryArgs): RootOperationNode {
    return this.transformer.transformNode(args.node);
  }
  async transformResult(args: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return args.result;
  }
}
void IdentifierNode;
