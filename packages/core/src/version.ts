/** The package version, written into every trace's metadata. */
export const VERSION = '0.1.0';

/** The Node majors the end-to-end tests run on: the sources were measured there. */
export const TESTED_NODE = { oldest: 20, newest: 26 } as const;

/**
 * A note for the run's metadata when this Node is outside the tested range: a source that a new
 * Node changed under us may record less, and the reader must not take missing data for none.
 */
export function untestedNodeNote(version: string = process.version): string | undefined {
  const major = Number(/^v(\d+)\./.exec(version)?.[1]);
  if (major >= TESTED_NODE.oldest && major <= TESTED_NODE.newest) return undefined;
  const side = major > TESTED_NODE.newest ? 'newer than' : 'older than';
  return `Node ${version} is ${side} the Node versions testtrace ${VERSION} is tested on (${TESTED_NODE.oldest} to ${TESTED_NODE.newest}): GC, stalls, async resources or CPU samples may be missing where the runtime changed; check testtrace for an update`;
}
