/**
 * The Catalog as the domain sees it: its kinds, its objects, and the one
 * port the per-item task calls. The CatalogClient (clients/catalog.ts) is
 * the adapter: runScoreBatch binds it to this port for one caller.
 */
export type CatalogKind = 'product' | 'category'

/** A Catalog object as the GET returns it; it goes back whole on the PUT. */
export type CatalogObject = Record<string, unknown>

/** Runs after the flow controller admits a PUT, right before it is sent; throwing sends nothing. */
export interface SendGuard {
  beforeSend(): void
}

/** What the per-item task needs from the Catalog, for one kind and one caller. */
export interface CatalogPort {
  /**
   * The object as the Catalog answers it: unchecked, since a GET may lie.
   * `again`: the item already sent a call (a re-read, a retry): it goes
   * before fresh items.
   */
  read(id: number, again?: boolean): Promise<unknown>
  /** `guard.beforeSend` runs once the flow control admits the PUT, right before it leaves. */
  write(id: number, object: CatalogObject, guard?: SendGuard): Promise<unknown>
}
