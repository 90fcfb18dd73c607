/**
 * One node object per key across refreshes of a tree list. VS Code knows tree elements by object
 * identity, so keeping the objects (and updating them in place) lets a refresh name only the nodes
 * that changed, and keeps expansion and selection without re-rendering the whole view.
 */
export class StableNodes<N extends object> {
  private readonly byKey = new Map<string, { node: N; signature: string }>();
  private previousKeys: string[] | undefined;

  /**
   * Maps a freshly queried list onto the kept nodes. `sameKeys` says whether the list has the same
   * keys in the same order as last time (then only `changed` needs re-rendering); nodes that left
   * the list are dropped.
   */
  update(entries: readonly { key: string; fields: N }[]): { nodes: N[]; changed: N[]; sameKeys: boolean } {
    const keys = entries.map((e) => e.key);
    const sameKeys = this.previousKeys !== undefined && keys.length === this.previousKeys.length && keys.every((k, i) => k === this.previousKeys![i]);
    const changed: N[] = [];
    const nodes = entries.map(({ key, fields }) => {
      const signature = JSON.stringify(fields);
      const kept = this.byKey.get(key);
      if (!kept) {
        this.byKey.set(key, { node: fields, signature });
        changed.push(fields);
        return fields;
      }
      if (kept.signature !== signature) {
        for (const k of Object.keys(kept.node)) if (!(k in fields)) delete (kept.node as Record<string, unknown>)[k];
        Object.assign(kept.node, fields);
        kept.signature = signature;
        changed.push(kept.node);
      }
      return kept.node;
    });
    if (this.byKey.size > keys.length) {
      const live = new Set(keys);
      for (const k of [...this.byKey.keys()]) if (!live.has(k)) this.byKey.delete(k);
    }
    this.previousKeys = keys;
    return { nodes, changed, sameKeys };
  }

  /** Forget the previous order (the next update reports sameKeys = false). */
  reset(): void {
    this.previousKeys = undefined;
  }
}
