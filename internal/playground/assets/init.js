// Bootstraps GraphiQL for package playground. It lives in its own file, not
// inline in the page, so that the page's Content-Security-Policy can keep
// script-src 'self' without 'unsafe-inline'. The GraphQL endpoint and the
// first visit's editors come from data- attributes of the #graphiql element.
(function () {
  'use strict';
  var el = document.getElementById('graphiql');
  var endpoint = el.getAttribute('data-endpoint');
  var start = {
    query: el.getAttribute('data-query') || undefined,
    variables: el.getAttribute('data-variables') || undefined,
    headers: el.getAttribute('data-headers') || undefined,
  };
  var props = {
    fetcher: GraphiQL.createFetcher({ url: endpoint }),
    // The headers tab is open from the start, where the token goes.
    // Headers are deliberately not persisted in localStorage: they usually
    // hold a token.
    isHeadersEditorEnabled: true,
    defaultEditorToolsVisibility: 'headers',
    shouldPersistHeaders: false,
    inputValueDeprecation: true,
  };
  if (start.query) {
    // One tab with the service's own document, on a first visit (GraphiQL
    // keeps a person's tabs after that).
    props.defaultQuery = start.query;
    props.defaultHeaders = start.headers;
    props.defaultTabs = [start];
  }
  var root = ReactDOM.createRoot(el);
  root.render(React.createElement(GraphiQL, props));
})();
