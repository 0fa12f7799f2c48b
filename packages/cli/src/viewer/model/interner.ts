/** Interns strings: one copy and one number each. */
export class Interner {
  readonly values: string[] = [];
  private readonly ids = new Map<string, number>();

  constructor(first?: string) {
    if (first !== undefined) this.id(first);
  }

  id(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.values.push(s) - 1;
      this.ids.set(s, id);
    }
    return id;
  }
}
