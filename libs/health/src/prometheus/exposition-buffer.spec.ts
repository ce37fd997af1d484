import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CHUNK_BYTES, ExpositionBuffer } from './exposition-buffer';

describe('ExpositionBuffer', () => {
  it('keeps bytes and UTF-8 text in order, and grows for a part larger than its space', () => {
    const w = new ExpositionBuffer();
    w.text('région="Zürich"');
    w.bytes(Buffer.from(' 1\n'));
    assert.equal(w.full(), false);
    const big = 'x'.repeat(CHUNK_BYTES * 3);
    w.text(big);
    assert.equal(w.full(), true);
    const first = w.take();
    assert.equal(first.toString('utf8'), `région="Zürich" 1\n${big}`);
    w.text('next');
    assert.equal(w.take().toString(), 'next');
    assert.equal(first.toString('utf8').slice(0, 6), 'région', 'a taken chunk is not overwritten');
  });
});
