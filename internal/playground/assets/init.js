// Bootstraps GraphiQL for package playground. It lives in its own file, not
// inline in the page, so that the page's Content-Security-Policy can keep
// script-src 'self' without 'unsafe-inline'. The GraphQL endpoint comes from
// the data-endpoint attribute of the #graphiql element.
(function () {
  'use strict';
  var el = document.getElementById('graphiql');
  var endpoint = el.getAttribute('data-endpoint');
  var root = ReactDOM.createRoot(el);
  root.render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: endpoint }),
      // The headers tab is open from the start so a user can paste
      // {"Authorization": "Bearer <token>"}. Headers are deliberately not
      // persisted in localStorage: they usually hold a token.
      isHeadersEditorEnabled: true,
      defaultEditorToolsVisibility: 'headers',
      shouldPersistHeaders: false,
      inputValueDeprecation: true,
    }),
  );
})();
