// GraphQL request bodies stay small (today's 100 KiB default), except importLinkerdRelease: a
// real `linkerd install --crds` render alone is ~420 KB. A body declared (or streamed) over the
// small limit is read up to the import limit only for a caller whose credential is valid and may
// import (ADMIN), checked before a byte of it is read; anyone else is held to the small limit (an
// unknown credential gets 401 at once). Once read, a large body passes only when every operation
// in it is nothing but importLinkerdRelease. Over a limit: HTTP 413 with a GraphQL error saying which.
import express, { type NextFunction, type Request, type Response } from 'express';
import { Kind, parse, type DocumentNode } from 'graphql';

const IMPORT_FIELD = 'importLinkerdRelease';
const CLI_HINT =
  'import larger renders with the operator CLI: npm run --silent cli -- release import --org <id> --version <v> --variant default|ha --crds crds.yaml --control-plane cp.yaml';

export interface GraphqlBodyLimits {
  maxBodyBytes: number;
  importMaxBodyBytes: number;
}

/**
 * Whether the caller may send a body up to the import limit: 'admit', 'small' (valid credential
 * that may not import), or 'unauthenticated' (no valid credential; `message` says why).
 */
export type LargeBodyGate = (
  req: Request,
) => Promise<{ verdict: 'admit' | 'small' } | { verdict: 'unauthenticated'; message: string }>;

type SizedRequest = Request & { graphqlBodyBytes?: number; graphqlLargeBody?: boolean };

const size = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MiB` : `${+(bytes / 1024).toFixed(1)} KiB`;

function tooLarge(res: Response, message: string): void {
  res.setHeader('Connection', 'close');
  res.status(413).json({ errors: [{ message, extensions: { code: 'PAYLOAD_TOO_LARGE' } }] });
}

function onlyImports(body: unknown): boolean {
  const requests = Array.isArray(body) ? body : [body];
  return requests.every((r) => {
    const query = r !== null && typeof r === 'object' ? (r as { query?: unknown }).query : undefined;
    if (typeof query !== 'string') return false;
    let doc: DocumentNode;
    try {
      doc = parse(query, { noLocation: true });
    } catch {
      return false;
    }
    return doc.definitions.every(
      (d) =>
        d.kind === Kind.OPERATION_DEFINITION &&
        d.operation === 'mutation' &&
        d.selectionSet.selections.every((s) => s.kind === Kind.FIELD && s.name.value === IMPORT_FIELD),
    );
  });
}

/**
 * A declared Content-Length over what the path can ever accept is refused from the headers, at
 * once: body-parser would only answer 413 after draining the whole body. The connection is
 * closed after the answer so the rest is never read.
 */
export function declaredLengthLimit(limits: GraphqlBodyLimits): express.RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.headers['content-length']);
    const max = req.path === '/graphql' ? limits.importMaxBodyBytes : limits.maxBodyBytes;
    if (!(declared > max)) return next();
    tooLarge(
      res,
      req.path === '/graphql'
        ? overImport(declared, limits)
        : `Request body of ${size(declared)} exceeds ${size(max)}, the most ${req.path} accepts`,
    );
  };
}

function overImport(bytes: number | undefined, limits: GraphqlBodyLimits): string {
  return (
    `Request body${bytes ? ` of ${size(bytes)}` : ''} exceeds ${size(limits.importMaxBodyBytes)}, the most importLinkerdRelease accepts ` +
    `(MESHFLEET_RELEASE_IMPORT_MAX_BYTES); ${CLI_HINT}`
  );
}

export function graphqlBodyLimit(limits: GraphqlBodyLimits, gate: LargeBodyGate): express.RequestHandler[] {
  const verify = (req: unknown, _res: unknown, buf: Buffer) => {
    (req as SizedRequest).graphqlBodyBytes = buf.length;
  };
  const readLarge = express.json({ limit: limits.importMaxBodyBytes, verify });
  const readSmall = express.json({ limit: limits.maxBodyBytes, verify });
  const small = `${size(limits.maxBodyBytes)}`;
  const big = `${size(limits.importMaxBodyBytes)}`;
  const overSmall = (bytes?: number) =>
    `Request body${bytes ? ` of ${size(bytes)}` : ''} exceeds ${small} (MESHFLEET_GRAPHQL_MAX_BODY_BYTES); ` +
    `only a request holding nothing but ${IMPORT_FIELD}, from a caller allowed to import (ADMIN), may send up to ${big}`;
  return [
    // Who may send a large body is settled from the headers, before the body is read.
    (req: SizedRequest, res: Response, next: NextFunction) => {
      const declared = Number(req.headers['content-length']);
      const large = req.headers['transfer-encoding'] !== undefined || declared > limits.maxBodyBytes;
      if (!large) return next();
      gate(req).then(
        (g) => {
          if (g.verdict === 'unauthenticated') {
            res
              .status(401)
              .json({ errors: [{ message: g.message, extensions: { code: 'UNAUTHENTICATED' } }] });
            return;
          }
          if (g.verdict === 'small' && Number.isFinite(declared)) return tooLarge(res, overSmall(declared));
          req.graphqlLargeBody = g.verdict === 'admit';
          next();
        },
        (e: unknown) => next(e),
      );
    },
    (req: SizedRequest, res: Response, next: NextFunction) => {
      const read = req.graphqlLargeBody ? readLarge : readSmall;
      read(req, res, (err?: unknown) => {
        const e = err as { type?: string; length?: number } | undefined;
        if (e?.type === 'entity.too.large') {
          if (!req.graphqlLargeBody) return tooLarge(res, overSmall(e.length));
          return tooLarge(res, overImport(e.length, limits));
        }
        next(err);
      });
    },
    (req: SizedRequest, res: Response, next: NextFunction) => {
      const bytes = req.graphqlBodyBytes ?? 0;
      if (bytes <= limits.maxBodyBytes || onlyImports(req.body)) return next();
      tooLarge(res, overSmall(bytes));
    },
  ];
}
