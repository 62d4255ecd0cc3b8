/**
 * The layout's one-way dependencies, checked by `npm test`:
 *   ordering/, voting/  ->  identity/  ->  cluster/  ->  platform/
 * Products never import each other; nothing below a product names one.
 */
const layer = (name, forbidden, comment) => ({
  name,
  comment,
  severity: 'error',
  from: { path: `^src/${name}/` },
  to: { path: `^src/(${forbidden.join('|')})/` },
});

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Modules form no cycles.', from: {}, to: { circular: true } },
    layer('platform', ['cluster', 'identity', 'ordering', 'voting'], 'platform/ knows no cluster mechanism and no product.'),
    layer('cluster', ['identity', 'ordering', 'voting'], 'cluster/ knows units and owners, not foods or tickets.'),
    layer('identity', ['ordering', 'voting'], 'identity/ serves both products and imports neither.'),
    layer('ordering', ['voting'], 'Products never import each other.'),
    layer('voting', ['ordering'], 'Products never import each other.'),
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      comment: 'The app never imports tests or benchmarks.',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.spec\\.ts$' },
    tsConfig: { fileName: 'tsconfig.build.json' },
    tsPreCompilationDeps: true,
  },
};
