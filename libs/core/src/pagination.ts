// Relay-style cursors: opaque base64url JSON of the keyset position.
import { ValidationError } from './errors';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, guard: (v: unknown) => v is T): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new ValidationError('after is not a valid cursor', 'after');
  }
  if (!guard(parsed)) throw new ValidationError('after is not a valid cursor', 'after');
  return parsed;
}

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE)
    throw new ValidationError(`first must be between 1 and ${MAX_PAGE_SIZE}`, 'first');
  return first;
}

export interface Page<T> {
  items: T[];
  cursors: string[];
  hasNextPage: boolean;
  /** An `after` cursor was given and rows come before it (forward pagination only). */
  hasPreviousPage?: boolean;
  totalCount: number;
}

/** Keyset position of newest-first lists: the row's timestamp, then its id as the tie-breaker. */
interface TimeIdPosition {
  t: string;
  id: string;
}

function isTimeIdPosition(v: unknown): v is TimeIdPosition {
  const p = v as TimeIdPosition;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.t === 'string' &&
    !Number.isNaN(Date.parse(p.t)) &&
    typeof p.id === 'string'
  );
}

export interface NewestFirstQuery<T, W> {
  /** The list's filter (organization first). */
  where: W;
  first: number;
  after: string | null;
  /** The timestamp column the list is ordered by (newest first, id breaking ties). */
  timeField: string;
  time(row: T): Date;
  findMany(args: { where: W; orderBy: Record<string, 'desc'>[]; take: number }): Promise<T[]>;
  count(args: { where: W }): Promise<number>;
}

/**
 * One page of a newest-first list with Relay cursors over (timestamp, id), plus the filter's total
 * count. Works with any Prisma delegate: pass its findMany and count.
 */
export async function newestFirstPage<T extends { id: string }, W extends object>(
  q: NewestFirstQuery<T, W>,
): Promise<Page<T>> {
  const pos = q.after ? decodeCursor(q.after, isTimeIdPosition) : null;
  const where = pos
    ? ({
        AND: [
          q.where,
          {
            OR: [
              { [q.timeField]: { lt: new Date(pos.t) } },
              { [q.timeField]: new Date(pos.t), id: { lt: pos.id } },
            ],
          },
        ],
      } as unknown as W)
    : q.where;
  // Rows before the cursor: newer, or as new with a larger-or-equal id (the cursor's own row).
  const before = pos
    ? ({
        AND: [
          q.where,
          {
            OR: [
              { [q.timeField]: { gt: new Date(pos.t) } },
              { [q.timeField]: new Date(pos.t), id: { gte: pos.id } },
            ],
          },
        ],
      } as unknown as W)
    : null;
  const [rows, totalCount, earlier] = await Promise.all([
    q.findMany({ where, orderBy: [{ [q.timeField]: 'desc' }, { id: 'desc' }], take: q.first + 1 }),
    q.count({ where: q.where }),
    before
      ? q.findMany({ where: before, orderBy: [{ [q.timeField]: 'desc' }, { id: 'desc' }], take: 1 })
      : [],
  ]);
  const items = rows.slice(0, q.first);
  return {
    items,
    cursors: items.map((r) => encodeCursor({ t: q.time(r).toISOString(), id: r.id })),
    hasNextPage: rows.length > q.first,
    hasPreviousPage: earlier.length > 0,
    totalCount,
  };
}
