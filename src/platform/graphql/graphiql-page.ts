import { dirname, join } from 'node:path';

/** Where GraphiQL's files are served from; the page references nothing else. */
export const GRAPHIQL_ASSETS_PREFIX = '/graphiql/assets/';

function fileOf(pkg: string, path: string): { dir: string; file: string } {
  const full = join(dirname(require.resolve(`${pkg}/package.json`)), path);
  return { dir: dirname(full), file: full.slice(dirname(full).length + 1) };
}

/**
 * Every asset by its public name, from npm packages the app depends on: React 18 (GraphiQL 3's
 * UMD build needs React and ReactDOM as globals; React 19 ships no UMD) and GraphiQL's bundle,
 * whose fonts and icons are inlined. The source map name is the one the bundle refers to.
 */
export const GRAPHIQL_ASSETS: Readonly<Record<string, { dir: string; file: string }>> = {
  'react.production.min.js': fileOf('react', 'umd/react.production.min.js'),
  'react-dom.production.min.js': fileOf('react-dom', 'umd/react-dom.production.min.js'),
  'graphiql.min.js': fileOf('graphiql', 'graphiql.min.js'),
  'graphiql.min.css': fileOf('graphiql', 'graphiql.min.css'),
  'index.umd.js.map': fileOf('graphiql', 'graphiql.min.js.map'),
};

const DEFAULT_QUERY = `# The voting API. Get the ticket in force, then vote with it:
#   mutation { vote(usernames: ["root"], ticket: "<cas>") }
query {
  cas
  query(username: "root")
}
`;

/** The page's own script, served as an asset: the security headers allow no inline script. */
export const GRAPHIQL_INIT = 'init.js';

export function graphiqlInitScript(endpoint: string): string {
  return `const fetcher = GraphiQL.createFetcher({ url: new URL(${JSON.stringify(endpoint)}, location.href).href });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, { fetcher, defaultQuery: ${JSON.stringify(DEFAULT_QUERY)} }),
);
`;
}

/**
 * The GraphiQL page. Unlike mercurius' built-in one (React and GraphiQL from unpkg.com), it loads
 * every file from this app, so it works with no internet access.
 */
export function graphiqlPage(): string {
  const asset = (name: string): string => `${GRAPHIQL_ASSETS_PREFIX}${name}`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex">
  <title>Voting API · GraphiQL</title>
  <link rel="stylesheet" href="${asset('graphiql.min.css')}">
  <style>body { margin: 0; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="${asset('react.production.min.js')}"></script>
  <script src="${asset('react-dom.production.min.js')}"></script>
  <script src="${asset('graphiql.min.js')}"></script>
  <script src="${asset(GRAPHIQL_INIT)}"></script>
</body>
</html>
`;
}
