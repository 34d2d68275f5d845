// GraphiQL pointed at gnlc's /graphql, with the README's examples (the page's JSON data
// block) as tabs, the first open.
const examples = JSON.parse(document.getElementById('gnlc-examples').textContent);
const fetcher = GraphiQL.createFetcher({ url: new URL('/graphql', window.location.href).href });
ReactDOM.createRoot(document.getElementById('graphiql')).render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultTabs: examples.map((example) => ({
      query: '# ' + example.title + '\nquery ' + example.name + ' ' + example.query + '\n',
    })),
    defaultEditorToolsVisibility: false,
  }),
);
