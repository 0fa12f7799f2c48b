import { describe, expect, it } from 'vitest';
import { buildIndex } from '../src/cart.js';

describe('search index', () => {
  it('indexes the catalogue', () => {
    // allocates a lot: GC shows in this test
    const index = buildIndex(250_000);
    expect(index.size).toBe(250_000);
  });

  it('finds a product', () => {
    expect(buildIndex(1000).get('sku-10').name).toBe('Product 10');
  });
});
