import { nodeTimers, perfNow } from '../builtin.js';

interface Beat {
  periodMs: number;
  lastMs: number;
  fn: () => void;
}

/**
 * One unref'd timer for the sources that run on a period (stalls' heartbeat, the heap and
 * event-loop counters): each wake-up of an idle worker costs ~100–150 µs of CPU on a virtual
 * machine, whatever the callback does, and three timers out of step woke a worker that waits on
 * child processes ~200 times a second (~80 ms of CPU in a 2-second Vitest fork of the bench's
 * `child` shape). The timer runs at the shortest period asked; a longer period runs on the tick
 * nearest its due time.
 */
export class Heartbeat {
  private readonly beats = new Set<Beat>();
  private timer: NodeJS.Timeout | undefined;
  private baseMs = Infinity;

  /** Calls `fn` every `periodMs` (ms) until the returned function is called. */
  every(periodMs: number, fn: () => void): () => void {
    const beat: Beat = { periodMs, lastMs: perfNow(), fn };
    this.beats.add(beat);
    if (periodMs < this.baseMs) this.restart(periodMs);
    return () => {
      this.beats.delete(beat);
      if (this.beats.size > 0) return;
      if (this.timer !== undefined) nodeTimers.clearInterval(this.timer);
      this.timer = undefined;
      this.baseMs = Infinity;
    };
  }

  private restart(baseMs: number): void {
    if (this.timer !== undefined) nodeTimers.clearInterval(this.timer);
    this.baseMs = baseMs;
    this.timer = nodeTimers.setInterval(this.tick, baseMs);
    this.timer.unref();
  }

  private readonly tick = (): void => {
    const now = perfNow();
    for (const beat of this.beats) {
      // due within half a base period: this tick is the nearest to its due time
      if (beat.periodMs > this.baseMs && now - beat.lastMs < beat.periodMs - this.baseMs / 2) continue;
      beat.lastMs = now;
      beat.fn();
    }
  };
}
