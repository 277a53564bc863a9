import { describe, expect, it } from 'vitest';
import { tableRow, tableRule } from './table.ts';

describe('tableRow', () => {
  it('pads each cell to its column, on the side it is aligned', () => {
    const columns = [{ width: 6 }, { width: 4, align: 'right' as const }];
    expect(tableRow(['name', '1.5', '12'], columns)).toBe('| name   |  1.5 |   12 |');
    expect(tableRule(columns, 3)).toBe('| ------ | ---- | ---- |');
  });

  it('pads nothing without columns', () => {
    expect(tableRow(['store', 'flows/s'])).toBe('| store | flows/s |');
  });
});
