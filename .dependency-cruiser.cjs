/**
 * The layers of shiren, checked by dependency-cruiser (`npm run lint`; .ci/run runs it before the
 * tests). docs/architecture.md explains each rule. Type-only imports count: a layer that needs
 * another's types depends on it as much as one that calls it.
 */

/** modules that hold domain logic: they import neither the web framework nor the query builder */
const DOMAIN =
  '^src/(analysis|apps|audio|audit|auth|billing|cache|clock|codes|config|console-auth|crypto|identity|liveness|media|ocr|ops|privacy|queue|registry|replay|verdict|verifications|vision|webhooks|workers)/'
/** the composition root and the storage/CLI edges: nothing in a layer below them imports them */
const SERVER_INTERNALS = '^src/(storage|cli)/|^src/(compose|server)\\.ts$'
const DB_DRIVERS = '^node_modules/(kysely|pg|better-sqlite3)/'
const WEB_FRAMEWORK = '^node_modules/(fastify|@fastify/[^/]+)/'

module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      comment: 'The import graph has no cycle (type-only imports included).',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'modules-through-index',
      comment:
        'A module imports another only through its index.ts. Exception: storage implements the ' +
        'ports with the row shapes of apps and verifications, which it reads from their types.ts ' +
        '(files of types that import nothing back), so that storage never loads a service.',
      severity: 'error',
      from: { path: '^src/([^/]+)/', pathNot: ['^src/web/', '^src/storage/', '^src/[^/]+/types\\.ts$'] },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'],
      },
    },
    {
      name: 'types-through-types',
      comment: 'storage and the types.ts files may also use the types.ts of apps and verifications.',
      severity: 'error',
      from: { path: ['^src/(storage)/', '^src/([^/]+)/types\\.ts$'] },
      to: {
        path: '^src/[^/]+/',
        pathNot: ['^src/$1/', '^src/$2/', '^src/[^/]+/index\\.ts$', '^src/(apps|verifications)/types\\.ts$'],
      },
    },
    {
      name: 'storage-reads-only-types',
      comment: 'storage may import the types.ts of apps and verifications and codes; nothing above it.',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: {
        path: '^src/',
        pathNot: ['^src/storage/', '^src/(apps|verifications)/types\\.ts$', '^src/codes/index\\.ts$'],
      },
    },
    {
      name: 'root-files-through-index',
      comment: 'compose.ts and server.ts wire modules through their index.ts as well.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$' },
      to: { path: '^src/[^/]+/', pathNot: '^src/[^/]+/index\\.ts$' },
    },
    {
      name: 'http-talks-to-services',
      comment:
        'HTTP handlers reach data only through services: no storage, no composition root, no CLI, ' +
        'no database driver.',
      severity: 'error',
      from: { path: '^src/http/' },
      to: { path: [SERVER_INTERNALS, DB_DRIVERS] },
    },
    {
      name: 'domain-without-fastify-or-kysely',
      comment: 'Domain modules import neither the web framework nor the query builder or its drivers.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: [WEB_FRAMEWORK, DB_DRIVERS] },
    },
    {
      name: 'only-storage-speaks-sql',
      comment: 'Kysely and the database drivers are used by storage alone.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/storage/' },
      to: { path: DB_DRIVERS },
    },
    {
      name: 'vision-below-liveness',
      comment: 'vision detects; the liveness judges and the attempt analyser sit above it.',
      severity: 'error',
      from: { path: '^src/vision/' },
      to: { path: '^src/(liveness|analysis)/' },
    },
    {
      name: 'liveness-below-analysis',
      comment: 'liveness judges from signals; the analyser (above) and HTTP (far above) use it, never the reverse.',
      severity: 'error',
      from: { path: '^src/liveness/' },
      to: { path: '^src/(analysis|http)/' },
    },
    {
      name: 'engines-below-services',
      comment:
        'The engines (vision, liveness, audio, ocr, analysis) and the pure modules (codes, identity, ' +
        'media, crypto, clock, config) know nothing of services, storage or HTTP.',
      severity: 'error',
      from: { path: '^src/(vision|liveness|audio|ocr|analysis|codes|identity|media|crypto|clock|config|verdict)/' },
      to: {
        path: [
          '^src/(http|cli|storage|apps|audit|auth|billing|console-auth|queue|registry|replay|verifications)/',
          SERVER_INTERNALS,
        ],
      },
    },
    {
      name: 'storage-below-services',
      comment: 'storage implements the ports; it never imports a service, the queue or HTTP.',
      severity: 'error',
      from: { path: '^src/storage/' },
      to: {
        path: ['^src/(http|cli|audit|auth|billing|console-auth|queue|registry)/', SERVER_INTERNALS],
        pathNot: '^src/storage/',
      },
    },
    {
      name: 'services-below-http',
      comment: 'Nothing but the composition root (server.ts) and the CLI imports HTTP.',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/http/', '^src/server\\.ts$', '^src/cli/'] },
      to: { path: '^src/http/' },
    },
    {
      name: 'web-stands-alone',
      comment: 'The browser pages talk to the server over HTTP only: src/web imports no server module.',
      severity: 'error',
      from: { path: '^src/web/' },
      to: { path: '^src/', pathNot: '^src/web/' },
    },
    {
      name: 'server-never-imports-web',
      comment: 'The server serves the built pages as files; it never imports their sources.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/web/' },
      to: { path: '^src/web/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve is a typo or a missing dependency.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^dist/' },
    // type-only imports are dependencies too (see the top of this file)
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.check.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      mainFields: ['module', 'main', 'types', 'typings'],
    },
  },
}
