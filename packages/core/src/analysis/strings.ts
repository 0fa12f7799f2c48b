/**
 * One copy of each distinct string (file paths, test and hook names, statuses), each with a
 * number: tables keep the numbers in typed arrays instead of a pointer per entry.
 */
export class StringTable {
  private readonly ids = new Map<string, number>();
  private readonly values: string[] = [];

  /**
   * The number of `value`, given on its first sight. The table keeps a copy of its own: a string
   * cut out of a line with a regular expression would hold on to the whole chunk of text it came
   * from.
   */
  id(value: string): number {
    let id = this.ids.get(value);
    if (id === undefined) {
      const copy = typeof value === 'string' ? (JSON.parse(JSON.stringify(value)) as string) : value;
      id = this.values.length;
      this.values.push(copy);
      this.ids.set(copy, id);
    }
    return id;
  }

  /** The number of `value`, or undefined when the table has never seen it. */
  find(value: string): number | undefined {
    return this.ids.get(value);
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
