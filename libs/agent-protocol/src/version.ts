// Protocol versioning. The API accepts the current and the previous version so that agents
// can be upgraded after the API (never in lock-step across a fleet).

/** Version spoken by this build of the contract. */
export const PROTOCOL_VERSION = 2;

/** Current first; the API serves every version listed here. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [PROTOCOL_VERSION, PROTOCOL_VERSION - 1];

/** HTTP header carrying the protocol version on every agent request and API response. */
export const PROTOCOL_VERSION_HEADER = 'x-meshfleet-protocol-version';

/**
 * True for a supported version. Accepts the raw header value too, so transport code does not
 * parse integers by hand; "2.0", " 2", "" and arrays are rejected.
 */
export function isSupportedProtocolVersion(v: unknown): boolean {
  return parseProtocolVersion(v) !== null;
}

/** The supported version as a number, or null when absent, malformed or unsupported. */
export function parseProtocolVersion(v: unknown): number | null {
  let n: number;
  if (typeof v === 'number') n = v;
  else if (typeof v === 'string' && /^[0-9]{1,4}$/.test(v)) n = Number(v);
  else return null;
  return Number.isInteger(n) && SUPPORTED_PROTOCOL_VERSIONS.includes(n) ? n : null;
}
