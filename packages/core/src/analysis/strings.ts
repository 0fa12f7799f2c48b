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

  /**
   * For each string of `other` (a table of another part of the same file, see ModelBuilder.absorb),
   * in its order, its number here: numbered on first sight, as if this table had seen them next.
   */
  numbersOf(other: readonly string[]): Uint32Array {
    return Uint32Array.from(other, (value) => this.id(value));
  }

  /** Every string, in the order of their numbers. */
  get all(): readonly string[] {
    return this.values;
  }

  /** The one copy of `value`. */
  intern(value: string): string {
    return this.at(this.id(value));
  }
}
