/**
 * Fetches one JSON endpoint of the viewer's server (`/api/tests`), relative to the page: the
 * server serves the viewer under a secret path (`/TOKEN/`). A failed request throws with the
 * server's one-line reason.
 */
export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path.replace(/^\//, ''), { headers: { accept: 'application/json' } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${(await res.text()).trim()}`);
  return (await res.json()) as T;
}
