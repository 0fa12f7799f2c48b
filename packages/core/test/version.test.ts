import { describe, expect, it } from 'vitest';
import { TESTED_NODE, untestedNodeNote } from '../src/version.js';

describe('untestedNodeNote', () => {
  it('says nothing for the Node versions the e2e tests run on', () => {
    for (let major = TESTED_NODE.oldest; major <= TESTED_NODE.newest; major++) expect(untestedNodeNote(`v${major}.3.1`)).toBeUndefined();
    expect(untestedNodeNote(process.version)).toBeUndefined();
  });

  it('names a newer or older Node, the tested range, and what may be missing', () => {
    expect(untestedNodeNote('v27.0.0')).toMatch(/^Node v27\.0\.0 is newer than the Node versions testtrace \S+ is tested on \(20 to 26\): GC, stalls/);
    expect(untestedNodeNote('v18.20.0')).toMatch(/^Node v18\.20\.0 is older than/);
  });
});
