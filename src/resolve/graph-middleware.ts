import type { Context, Middleware } from '@microsoft/microsoft-graph-client';

/** A link of the Graph client's middleware chain: it holds the next link, which does the request. */
export abstract class ChainLink implements Middleware {
  protected next!: Middleware;

  setNext(next: Middleware): void {
    this.next = next;
  }

  abstract execute(context: Context): Promise<void>;
}
