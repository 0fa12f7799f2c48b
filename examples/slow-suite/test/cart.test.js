import { describe, expect, it } from 'vitest';
import { priceCart, renderReport } from '../src/cart.js';

describe('cart', () => {
  it('prices an empty cart', () => {
    expect(priceCart([])).toBe(0);
  });

  it('prices several items', () => {
    expect(priceCart([{ price: 2, quantity: 3 }, { price: 1, quantity: 1 }])).toBe(7);
  });

  it('renders the monthly report', () => {
    // blocks the event loop for a while: shows as a stall in this test
    expect(renderReport(400_000)).toBeGreaterThan(0);
  });
});
