/**
 * A first-in-first-out list with amortised O(1) `shift` (Array#shift is O(n)): reads advance a head
 * index, and the consumed prefix is dropped once it makes up half the array.
 */
export class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    // In range, so present (T itself may include undefined).
    const item = this.#items[this.#head] as T;
    this.#head++;
    // The copy happens only once the skipped prefix is at least as long as what remains, so the
    // shifts before it pay for it; and consumed items are not kept alive.
    if (this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}
