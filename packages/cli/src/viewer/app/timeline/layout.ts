import type { ProcessData, SliceRow, TimelineData, TrackData } from '../../model/types.js';

export const GUTTER = 180;
export const PROCESS_HEADER = 20;
export const ROW_HEIGHT = 18;
export const INSTANT_STRIP = 10;
export const COUNTER_HEIGHT = 34;
export const TRACK_GAP = 3;

/** One horizontal band of the canvas. */
export type Band =
  | { kind: 'process'; y: number; h: number; process: ProcessData }
  | { kind: 'slices'; y: number; h: number; track: TrackData; row: SliceRow; depth: number }
  | { kind: 'instants'; y: number; h: number; track: TrackData }
  | { kind: 'counter'; y: number; h: number; track: TrackData };

export interface Layout {
  bands: Band[];
  /** Track labels for the gutter: where each track starts and how tall it is. */
  labels: { y: number; h: number; text: string; process: boolean }[];
  height: number;
}

/** Stacks every process (main first, as the server sorted them) and its tracks from top to bottom. */
export function layout(data: TimelineData): Layout {
  const bands: Band[] = [];
  const labels: Layout['labels'] = [];
  let y = 0;
  for (const process of data.processes) {
    bands.push({ kind: 'process', y, h: PROCESS_HEADER, process });
    labels.push({ y, h: PROCESS_HEADER, text: process.name, process: true });
    y += PROCESS_HEADER;
    for (const track of process.tracks) {
      const top = y;
      if (track.counter) {
        bands.push({ kind: 'counter', y, h: COUNTER_HEIGHT, track });
        y += COUNTER_HEIGHT;
      } else {
        if ((track.instantTotal ?? track.instants.ts.length) > 0) {
          bands.push({ kind: 'instants', y, h: INSTANT_STRIP, track });
          y += INSTANT_STRIP;
        }
        track.rows.forEach((row, depth) => {
          bands.push({ kind: 'slices', y, h: ROW_HEIGHT, track, row, depth });
          y += ROW_HEIGHT;
        });
      }
      labels.push({ y: top, h: y - top, text: track.name, process: false });
      y += TRACK_GAP;
    }
  }
  return { bands, labels, height: y + 4 };
}

/** The band under a y coordinate (binary search: bands are sorted by y). */
export function bandAt(bands: Band[], y: number): Band | undefined {
  let lo = 0;
  let hi = bands.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const b = bands[mid]!;
    if (y < b.y) hi = mid - 1;
    else if (y >= b.y + b.h) lo = mid + 1;
    else return b;
  }
  return undefined;
}
