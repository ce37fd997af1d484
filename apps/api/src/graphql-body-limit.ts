// GraphQL request bodies stay small (today's 100 KiB default), except importLinkerdRelease: a
// real `linkerd install --crds` render alone is ~420 KB. Bodies are read up to the import limit
// here, before Nest's parser; a body over the small limit passes only when every operation in it
// is nothing but importLinkerdRelease. Over a limit: HTTP 413 with a GraphQL error saying which.
import express, { type NextFunction, type Request, type Response } from 'express';
import { Kind, parse, type DocumentNode } from 'graphql';

const IMPORT_FIELD = 'importLinkerdRelease';
const CLI_HINT =
  'import larger renders with the operator CLI: npm run --silent cli -- release import --org <id> --version <v> --variant default|ha --crds crds.yaml --control-plane cp.yaml';

export interface GraphqlBodyLimits {
  maxBodyBytes: number;
  importMaxBodyBytes: number;
}

type SizedRequest = Request & { graphqlBodyBytes?: number };

const size = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${+(bytes / 1024 / 1024).toFixed(1)} MiB` : `${+(bytes / 1024).toFixed(1)} KiB`;

function tooLarge(res: Response, message: string): void {
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

export function graphqlBodyLimit(limits: GraphqlBodyLimits): express.RequestHandler[] {
  const read = express.json({
    limit: limits.importMaxBodyBytes,
    verify: (req, _res, buf) => {
      (req as SizedRequest).graphqlBodyBytes = buf.length;
    },
  });
  const small = `${size(limits.maxBodyBytes)}`;
  const big = `${size(limits.importMaxBodyBytes)}`;
  return [
    (req: Request, res: Response, next: NextFunction) => {
      read(req, res, (err?: unknown) => {
        const e = err as { type?: string; length?: number } | undefined;
        if (e?.type === 'entity.too.large') {
          return tooLarge(
            res,
            `Request body${e.length ? ` of ${size(e.length)}` : ''} exceeds ${big}, the most importLinkerdRelease accepts ` +
              `(MESHFLEET_RELEASE_IMPORT_MAX_BYTES); ${CLI_HINT}`,
          );
        }
        next(err);
      });
    },
    (req: SizedRequest, res: Response, next: NextFunction) => {
      const bytes = req.graphqlBodyBytes ?? 0;
      if (bytes <= limits.maxBodyBytes || onlyImports(req.body)) return next();
      tooLarge(
        res,
        `Request body of ${size(bytes)} exceeds ${small} (MESHFLEET_GRAPHQL_MAX_BODY_BYTES); ` +
          `only a request holding nothing but ${IMPORT_FIELD} may send up to ${big}`,
      );
    },
  ];
}
