import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchPrice, startPriceService, watchStock } from '../src/cart.js';

describe('price service', () => {
  let server;
  beforeAll(async () => {
    server = await startPriceService();
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  it('fetches a price', async () => {
    expect(await fetchPrice(server)).toBe(42);
  });

  it('fetches prices in a row', async () => {
    for (let i = 0; i < 5; i++) expect(await fetchPrice(server)).toBe(42);
  });

  it('watches stock', () => {
    // the interval is never cleared: a leak attributed to this test
    const handle = watchStock(() => {});
    expect(handle).toBeDefined();
  });

  it('retries a flaky lookup', { retry: 2 }, ({ task }) => {
    // fails on the first attempt, passes on the retry
    expect(task.result?.retryCount ?? 0).toBeGreaterThan(0);
  });
});
