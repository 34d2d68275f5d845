// GraphiQL pointed at gnlc's /graphql, over HTTP and, for subscriptions, over a WebSocket
// (graphql-transport-ws, with the graphql-ws client GraphiQL bundles) to the same origin; with
// the README's examples (the page's JSON data block) as tabs, the first open.
const examples = JSON.parse(document.getElementById('gnlc-examples').textContent);
const url = new URL('/graphql', window.location.href);
const subscriptionUrl = new URL(url);
subscriptionUrl.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
const fetcher = GraphiQL.createFetcher({ url: url.href, subscriptionUrl: subscriptionUrl.href });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultTabs: examples.map((example) => ({
      query: '# ' + example.title + '\n' + example.operation + ' ' + example.name + ' ' + example.query + '\n',
    })),
    defaultEditorToolsVisibility: false,
  }),
);
