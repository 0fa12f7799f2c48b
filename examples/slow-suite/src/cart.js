// A small shop backend with the kinds of problems that make test suites slow or flaky.
import http from 'node:http';

export function priceCart(items) {
  return items.reduce((sum, item) => sum + item.price * item.quantity, 0);
}

/** Synchronous "report rendering" that blocks the event loop. */
export function renderReport(rows) {
  let out = '';
  for (let i = 0; i < rows; i++) out += `${i},${Math.sqrt(i).toFixed(3)}\n`;
  return out.length;
}

/** Builds a large in-memory index: lots of allocation, lots of GC. */
export function buildIndex(size) {
  const index = new Map();
  for (let i = 0; i < size; i++) index.set(`sku-${i}`, { id: i, tags: [`t${i % 7}`, `t${i % 11}`], name: `Product ${i}` });
  return index;
}

/** Starts a tiny price service; the caller must close it. */
export function startPriceService() {
  const server = http.createServer((req, res) => {
    setTimeout(() => res.end(JSON.stringify({ price: 42 })), 15);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

export async function fetchPrice(server) {
  const { port } = server.address();
  const res = await fetch(`http://127.0.0.1:${port}/price`);
  return (await res.json()).price;
}

/** Polls for stock updates: returns the interval handle, which callers forget to clear. */
export function watchStock(onChange) {
  return setInterval(() => onChange(Math.random()), 1000);
}
