/**
 * One copy of each distinct string (file paths, test and hook names, statuses), each with a
 * number: tables keep the numbers in typed arrays instead of a pointer per entry.
 */
export class StringTable {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];

  /** The number of `value`, given on its first sight. */
  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(value);
      this.ids.set(value, id);
    }
    return id;
  }

  /** Distinct strings: every number given is below it. */
  get size(): number {
    return this.values.length;
  }

  at(id: number): string {
    return this.values[id]!;
  }

  /** The one copy of `value`. */
  intern(value: string): string {
    return this.at(this.id(value));
  }
}
