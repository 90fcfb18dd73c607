/**
 * The run query language's vocabulary: a mirror of python-runner/mlwb/query_grammar.json (its grammar and
 * notes are there), checked equal by test/unit/store/query.test.ts. Change both together.
 */
export const GRAMMAR = {
  version: 1,
  about: "The run query language's vocabulary, read by python-runner/mlwb/_query.py and mirrored (checked equal by a unit test) in src/store/query/grammar.ts. Both parsers follow the grammar below and answer the cases of python-runner/tests/data/query-cases.json the same way.",
  grammar: [
    "query      := or",
    "or         := and ('OR' and)*",
    "and        := unary ('AND' unary)*",
    "unary      := 'NOT' unary | '(' or ')' | comparison",
    "comparison := key ( compare value | ['NOT'] ('LIKE' | 'ILIKE') string | ['NOT'] 'IN' '(' value (',' value)* ')' | 'IS' ['NOT'] 'NULL' )",
    "key        := prefix '.' (word | `backquoted` | 'quoted' | \"quoted\") | ['attributes' '.'] attribute",
    "compare    := '=' | '==' | '!=' | '<>' | '<' | '<=' | '>' | '>='",
    "value      := number | 'quoted' | \"quoted\"",
    "Keywords, prefixes and attribute names are case-insensitive; LIKE is case-sensitive, ILIKE is not (% any run of characters, _ one)."
  ],
  prefixes: {
    metrics: "metrics",
    metric: "metrics",
    params: "params",
    param: "params",
    parameters: "params",
    parameter: "params",
    tags: "tags",
    tag: "tags",
    attributes: "attributes",
    attribute: "attributes",
    attr: "attributes",
    run: "attributes"
  },
  attributes: {
    run_id: "text",
    run_name: "text",
    experiment_id: "text",
    status: "status",
    start_time: "number",
    end_time: "number",
    duration: "number"
  },
  attribute_aliases: {
    id: "run_id",
    name: "run_name",
    experiment: "experiment_id",
    created: "start_time"
  },
  statuses: {
    queued: "queued",
    running: "running",
    completed: "completed",
    failed: "failed",
    cancelled: "cancelled",
    crashed: "crashed",
    scheduled: "queued",
    finished: "completed",
    killed: "cancelled"
  },
  mlflow_status: {
    queued: "SCHEDULED",
    running: "RUNNING",
    completed: "FINISHED",
    failed: "FAILED",
    cancelled: "KILLED",
    crashed: "FAILED"
  }
} as const;
