import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeCursor, newestFirstPage } from './pagination';
import { ValidationError } from './errors';

type Row = { id: string; at: Date };
// Rows newest first, two sharing a timestamp so the id has to break the tie.
const rows: Row[] = [
  { id: 'e', at: new Date('2026-01-05T00:00:00Z') },
  { id: 'd', at: new Date('2026-01-04T00:00:00Z') },
  { id: 'c', at: new Date('2026-01-04T00:00:00Z') },
  { id: 'b', at: new Date('2026-01-02T00:00:00Z') },
  { id: 'a', at: new Date('2026-01-01T00:00:00Z') },
];

/** A tiny evaluator of the Prisma-shaped keyset filter the helper builds. */
function matches(row: Row, where: any): boolean {
  if (where.AND) return where.AND.every((w: any) => matches(row, w));
  if (where.OR) return where.OR.some((w: any) => matches(row, w));
  return Object.entries(where).every(([k, v]: [string, any]) => {
    const value = (row as any)[k];
    if (v instanceof Date) return value.getTime() === v.getTime();
    if (v && typeof v === 'object' && 'lt' in v) return value < v.lt;
    return value === v;
  });
}

const query = (first: number, after: string | null) =>
  newestFirstPage<Row, object>({
    where: {},
    first,
    after,
    timeField: 'at',
    time: (r) => r.at,
    findMany: async ({ where, take }) => rows.filter((r) => matches(r, where)).slice(0, take),
    count: async () => rows.length,
  });

describe('newestFirstPage', () => {
  it('walks every row exactly once across pages, ties broken by id', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const page = await query(2, after);
      assert.equal(page.totalCount, 5);
      seen.push(...page.items.map((r) => r.id));
      if (!page.hasNextPage) break;
      after = page.cursors.at(-1)!;
    }
    assert.deepEqual(seen, ['e', 'd', 'c', 'b', 'a']);
  });

  it('rejects a cursor that is not one of ours', async () => {
    await assert.rejects(query(2, 'not-a-cursor'), ValidationError);
    await assert.rejects(query(2, encodeCursor({ t: 'yesterday', id: 'x' })), ValidationError);
  });
});
