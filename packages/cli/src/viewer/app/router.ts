import { traceRead } from './progress.js';

/** A page draws itself into `root` from the route's parameter and may return a cleanup function. */
export type Page = (root: HTMLElement, param: string | undefined) => Promise<(() => void) | void>;

export interface Route {
  /** `#/path` without the parameter, e.g. `test` for `#/test/12`. */
  path: string;
  title: string;
  page: Page;
  /** Shown in the navigation bar. */
  nav: boolean;
}

/** Hash routing: `#/` overview, `#/tests`, `#/test/12`, … Each navigation redraws the page. */
export class Router {
  private cleanup: (() => void) | void = undefined;
  private seq = 0;

  constructor(
    private readonly routes: Route[],
    private readonly root: HTMLElement,
    private readonly nav: HTMLElement,
  ) {}

  start(): void {
    window.addEventListener('hashchange', () => void this.render());
    void this.render();
  }

  private async render(): Promise<void> {
    const hash = location.hash.replace(/^#\/?/, '');
    const [path = '', param] = hash.split('/', 2);
    const route = this.routes.find((r) => r.path === path) ?? this.routes[0]!;
    const seq = ++this.seq;
    if (this.cleanup) this.cleanup();
    this.cleanup = undefined;
    this.drawNav(route);
    const page = document.createElement('div');
    page.className = `page page-${route.path || 'overview'}`;
    this.root.replaceChildren(page);
    document.body.dataset.page = route.path || 'overview';
    document.body.dataset.ready = 'false';
    try {
      await traceRead(page);
      if (seq !== this.seq) return;
      const cleanup = await route.page(page, param === undefined ? undefined : decodeURIComponent(param));
      if (seq !== this.seq) {
        if (cleanup) cleanup();
        return;
      }
      this.cleanup = cleanup;
    } catch (err) {
      if (seq !== this.seq) return;
      const p = document.createElement('p');
      p.className = 'error';
      p.textContent = err instanceof Error ? err.message : String(err);
      page.replaceChildren(p);
    }
    document.body.dataset.ready = 'true';
  }

  private drawNav(current: Route): void {
    this.nav.replaceChildren(
      ...this.routes
        .filter((r) => r.nav)
        .map((r) => {
          const a = document.createElement('a');
          a.href = `#/${r.path}`;
          a.textContent = r.title;
          if (r === current) a.className = 'active';
          return a;
        }),
    );
  }
}
