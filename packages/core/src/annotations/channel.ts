import { channel } from 'node:diagnostics_channel';

/**
 * The annotation API talks to the tracer through one named diagnostics channel. Channels are
 * per thread and shared by every copy of this package in the thread (ESM and CJS builds, Jest's
 * per-file module registries, Vitest's vm contexts), so `region()` called from test code reaches
 * the tracer started by the runner, and costs one property read when nobody listens.
 */
export const ANNOTATION_CHANNEL = 'testtrace:annotation';
export const annotationChannel = channel(ANNOTATION_CHANNEL);

export type AnnotationMessage =
  | { op: 'regionStart'; name: string; ts: number; id: number }
  | { op: 'regionEnd'; id: number; ts: number }
  | { op: 'taskStart'; name: string; ts: number; id: number }
  | { op: 'taskEnd'; id: number; ts: number }
  | { op: 'taskRun'; id: number; fn: () => unknown; result: unknown; threw: boolean; error: unknown }
  | { op: 'log'; category: string; message: string; ts: number };
