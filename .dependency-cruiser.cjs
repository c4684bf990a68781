// The layers of src/, bottom to top; `npm run lint` runs these rules (depcruise). A module may import its own
// layer and any layer below it, never one above. A folder listed in no layer is a feature: the top, which may
// import everything (new features such as src/inbox, src/webhooks, src/receipts need no change here).
//
// When a lower layer needs something only a feature knows (e.g. the gateways putting the inbox's unread count
// into auth_ok), the lower layer defines the hook: an interface and an injection token in its own folder,
// optional where it is injected (`@Optional() @Inject(TOKEN)`); the feature's module provides the token with its
// implementation. The arrow then points down: the feature imports the token, the gateway never imports the feature.
const LAYERS = [
  // the shared vocabulary: helpers, configuration, the wire protocol (with @herald/client/protocol), logging
  ['common', 'config', 'protocol', 'logging'],
  ['metrics'],
  // state that outlives a request, memory or Redis or SQL: the stream broker, presence, one-time tickets,
  // the database (Kysely, migrations), the choice of backend (stores), and auth (JWT and API key checks)
  ['redis', 'broker', 'presence', 'tickets', 'database', 'stores', 'auth'],
  // sockets and transports: admission, the connection registry, heartbeats, WebSocket and SSE transports
  ['connections', 'sse'],
  ['streams'],
  ['channels'],
  ['gateways'],
];

const folders = (list) => `^src/(${list.join('|')})/`;

const layerRules = LAYERS.map((layer, i) => ({
  name: `layer-${layer[0]}`,
  comment: `${layer.join(', ')} may import only ${LAYERS.slice(0, i + 1).flat().join(', ')} (layers are listed in .dependency-cruiser.cjs)`,
  severity: 'error',
  from: { path: folders(layer) },
  to: { path: '^src/', pathNot: folders(LAYERS.slice(0, i + 1).flat()) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'sdk-stands-alone',
      comment: 'the SDK (client/src) ships on its own: it never imports the server',
      severity: 'error',
      from: { path: '^client/src/' },
      to: { path: '^src/' },
    },
    {
      name: 'wire-vocabulary-has-no-dependencies',
      comment: 'client/src/protocol.ts is imported by the server and the SDK alike: it imports nothing',
      severity: 'error',
      from: { path: '^client/src/protocol\\.ts$' },
      to: {},
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types'], extensions: ['.ts', '.js'] },
  },
};
