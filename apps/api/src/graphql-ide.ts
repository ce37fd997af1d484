import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NextFunction, Request, Response } from 'express';

/**
 * The GraphQL IDE: GraphiQL and React from this package's own dependencies plus Meshfleet's page
 * script, all served from /graphql/ide/ — the page loads nothing from elsewhere (CSP: self only).
 * Served only when MESHFLEET_GRAPHQL_IDE is on (off in production, like introspection).
 */

/** Only this origin: scripts and styles are files, fonts and icons are inlined in GraphiQL's CSS. */
export const IDE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "font-src 'self' data:",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const IDE_PREFIX = '/graphql/ide/';

interface Asset {
  body: Buffer;
  type: string;
}

/** A file inside an installed package, found through its package.json (exports maps hide the rest). */
function packageFile(pkg: string, file: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), file);
}

function loadAssets(): Map<string, Asset> {
  const ownDir = packageFile('@meshfleet/api', 'ide');
  const js = 'text/javascript; charset=utf-8';
  const css = 'text/css; charset=utf-8';
  const files: Array<[string, string, string]> = [
    ['react.js', packageFile('react', 'umd/react.production.min.js'), js],
    ['react-dom.js', packageFile('react-dom', 'umd/react-dom.production.min.js'), js],
    ['graphiql.js', packageFile('graphiql', 'graphiql.min.js'), js],
    ['graphiql.css', packageFile('graphiql', 'graphiql.min.css'), css],
    ['graphql-ws.js', packageFile('graphql-ws', 'umd/graphql-ws.min.js'), js],
    ['meshfleet-ide.js', join(ownDir, 'meshfleet-ide.js'), js],
    ['meshfleet-ide.css', join(ownDir, 'meshfleet-ide.css'), css],
  ];
  return new Map(files.map(([name, path, type]) => [name, { body: readFileSync(path), type }]));
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Meshfleet GraphQL</title>
<link rel="stylesheet" href="${IDE_PREFIX}graphiql.css">
<link rel="stylesheet" href="${IDE_PREFIX}meshfleet-ide.css">
</head>
<body>
<form id="meshfleet-key-form" autocomplete="off">
<strong>Meshfleet GraphQL</strong>
<label for="meshfleet-api-key">API key</label>
<input id="meshfleet-api-key" name="apiKey" type="password" placeholder="mfk_…" spellcheck="false">
<button id="meshfleet-key-apply" type="submit">Use key</button>
<span id="meshfleet-key-status" role="status"></span>
</form>
<div id="graphiql">Loading the GraphQL IDE…</div>
<script src="${IDE_PREFIX}react.js"></script>
<script src="${IDE_PREFIX}react-dom.js"></script>
<script src="${IDE_PREFIX}graphql-ws.js"></script>
<script src="${IDE_PREFIX}graphiql.js"></script>
<script src="${IDE_PREFIX}meshfleet-ide.js"></script>
</body>
</html>
`;

function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', IDE_CONTENT_SECURITY_POLICY);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** A browser navigating to /graphql (GET, prefers HTML, no query in the URL). */
function wantsPage(req: Request): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (req.path !== '/graphql' && req.path !== '/graphql/') return false;
  if (req.query && 'query' in req.query) return false;
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/** Express middleware serving the IDE page at /graphql and its assets under /graphql/ide/. */
export function graphqlIde(): (req: Request, res: Response, next: NextFunction) => void {
  const assets = loadAssets();
  return (req, res, next) => {
    if (wantsPage(req)) {
      securityHeaders(res);
      res.setHeader('Cache-Control', 'no-cache');
      res.type('html').send(PAGE);
      return;
    }
    if (!req.path.startsWith(IDE_PREFIX) || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const asset = assets.get(req.path.slice(IDE_PREFIX.length));
    securityHeaders(res);
    if (!asset) {
      res.status(404).type('text/plain').send('No such IDE asset');
      return;
    }
    res.setHeader('Content-Type', asset.type);
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.send(asset.body);
  };
}
