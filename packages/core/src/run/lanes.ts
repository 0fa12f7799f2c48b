/** A worker chunk's identity and time range, as the merge sees it. */
export interface ChunkExtent {
  file: string;
  /** OS process id and thread id of the worker that wrote the chunk. */
  pid: number;
  threadId: number;
  start: number;
  end: number;
  closed: boolean;
  /** The signal its tracer closed it on (a closed chunk only). */
  signal?: string;
  /** The exit code, when its tracer closed it as the process exited with spans still open (process.exit in a test). */
  exitCode?: number;
}

/**
 * Assigns chunks to worker lanes: a lane holds chunks that never overlap in time, so a pool of N
 * workers shows as N lanes however many processes it forked. Returns the lane index per chunk.
 * Any spans will do (the main process's Vite transforms, which overlap as they await).
 */
export function assignLanes(chunks: readonly { start: number; end: number }[]): number[] {
  const order = chunks.map((_, i) => i).sort((a, b) => chunks[a]!.start - chunks[b]!.start);
  const laneEnds: number[] = [];
  const laneOf: number[] = new Array(chunks.length);
  for (const i of order) {
    const chunk = chunks[i]!;
    let lane = laneEnds.findIndex((end) => end <= chunk.start);
    if (lane === -1) lane = laneEnds.length;
    laneEnds[lane] = chunk.end;
    laneOf[i] = lane;
  }
  return laneOf;
}
