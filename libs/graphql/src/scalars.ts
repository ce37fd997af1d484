import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

export { GraphQLJSONObject } from 'graphql-scalars';

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i;

function parseDateTime(value: unknown): Date {
  if (typeof value !== 'string' || !RFC3339.test(value))
    throw new GraphQLError('DateTime must be an RFC 3339 date-time such as 2026-12-02T09:54:33Z');
  const [y, m, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const [hh, mm, ss] = value.slice(11, 19).split(':').map(Number) as [number, number, number];
  const daysInMonth = new Date(Date.UTC(y, m, 0)).getUTCDate();
  if (m < 1 || m > 12 || day < 1 || day > daysInMonth || hh > 23 || mm > 59 || ss > 59)
    throw new GraphQLError('DateTime must name a real calendar date and time');
  const d = new Date(value);
  const year = d.getUTCFullYear();
  if (Number.isNaN(d.getTime()) || year < 1 || year > 9999)
    throw new GraphQLError('DateTime must be a real date between years 0001 and 9999 (UTC)');
  return d;
}

/**
 * Nest's DateTime (same name and wire format), strict on input: an RFC 3339 string of a real
 * date in years 0001–9999 once in UTC, so "x" or year 0000 is the caller's error, not the
 * database's.
 */
export const StrictDateTime = new GraphQLScalarType({
  name: 'DateTime',
  description:
    'A date-time string at UTC, such as 2019-12-03T09:54:33Z, compliant with the date-time format.',
  parseValue: parseDateTime,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime must be a string');
    return parseDateTime(ast.value);
  },
  serialize(value) {
    return value instanceof Date ? value.toISOString() : null;
  },
});
