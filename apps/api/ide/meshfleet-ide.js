// Meshfleet's GraphQL IDE: GraphiQL (served by the API itself, no CDN) with an API-key field.
// The key is kept in this tab's sessionStorage only and sent as `Authorization: Bearer <key>` on
// HTTP requests and as the graphql-ws connection parameter for subscriptions.
(function () {
  'use strict';
  const STORAGE_KEY = 'meshfleet.apiKey';
  const endpoint = new URL('/graphql', window.location.href);
  const wsEndpoint = new URL(endpoint);
  wsEndpoint.protocol = endpoint.protocol === 'https:' ? 'wss:' : 'ws:';

  const keyInput = document.getElementById('meshfleet-api-key');
  const status = document.getElementById('meshfleet-key-status');
  const root = window.ReactDOM.createRoot(document.getElementById('graphiql'));
  let wsClient = null;

  function storedKey() {
    try {
      return window.sessionStorage.getItem(STORAGE_KEY) || '';
    } catch {
      return '';
    }
  }

  function remember(key) {
    try {
      if (key) window.sessionStorage.setItem(STORAGE_KEY, key);
      else window.sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Storage may be off (private mode); the key then lives only as long as the page.
    }
  }

  function render(key) {
    if (wsClient) wsClient.dispose();
    const authorization = key ? 'Bearer ' + key : undefined;
    wsClient = window.graphqlWs.createClient({
      url: wsEndpoint.href,
      lazy: true,
      connectionParams: authorization ? { authorization: authorization } : {},
    });
    const fetcher = window.GraphiQL.createFetcher({
      url: endpoint.href,
      headers: authorization ? { Authorization: authorization } : {},
      wsClient: wsClient,
    });
    status.textContent = key ? 'key set' : 'no key: only public fields answer';
    root.render(
      window.React.createElement(window.GraphiQL, {
        fetcher: fetcher,
        defaultQuery:
          '# Enter your API key above, then run:\n{\n  viewer {\n    actorName\n    role\n    organization { id name }\n  }\n}\n',
        shouldPersistHeaders: false,
      }),
    );
  }

  keyInput.value = storedKey();
  document.getElementById('meshfleet-key-form').addEventListener('submit', function (event) {
    event.preventDefault();
    const key = keyInput.value.trim();
    remember(key);
    render(key);
  });
  render(keyInput.value.trim());
})();
