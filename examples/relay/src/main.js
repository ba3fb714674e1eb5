// Relay against the users service, in node and without React: sign up, log
// in, page through every user forward and then backward the way
// usePaginationFragment's loadNext and loadPrevious do (the pagination
// query relay-compiler made for the @connection, merged into the store by
// Relay's connection handler), and refetch one user by its global ID (the
// @refetchable fragment's node query).
//
// The artifacts are persisted (relay.config.json, persistConfig): requests
// carry doc_id, the MD5 id relay-compiler wrote to persisted_queries.json,
// and no document, so the server must run with that file as its trusted
// documents (TRUSTED_DOCUMENTS=examples/relay/persisted_queries.json).
//
//   GRAPHQL_URL=http://localhost:5000/graphql node src/main.js
//
// It prints one JSON object: the usernames forward, backward and the
// refetched user's.
'use strict';

const {
  Environment,
  Network,
  RecordSource,
  Store,
  commitMutation,
  createOperationDescriptor,
  fetchQuery,
  getPaginationMetadata,
  getPaginationVariables,
  getRequest,
  getSelector,
  getValueAtPath,
} = require('relay-runtime');

const SignUp = require('./__generated__/AuthSignUpMutation.graphql');
const LogIn = require('./__generated__/AuthLogInMutation.graphql');
const UserListQuery = require('./__generated__/UserListQuery.graphql');
const UserListFragment = require('./__generated__/UserList_query.graphql');
const UserCardFragment = require('./__generated__/UserCard_user.graphql');
const UserCardRefetchQuery = require('./__generated__/UserCardRefetchQuery.graphql');

const url = process.env.GRAPHQL_URL || 'http://localhost:5000/graphql';
const pageSize = Number(process.env.PAGE_SIZE || 3);
const suffix = Date.now().toString(36);
const email = process.env.EMAIL || `relay_${suffix}@example.com`;
const password = process.env.PASSWORD || 'relaypass1';
let token = '';

// The network layer: a persisted document request (doc_id, as Relay's
// documentation sends it), or the text for an artifact that has one.
async function fetchFn(params, variables) {
  const body = params.id ? { doc_id: params.id, variables } : { query: params.text, variables };
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      Accept: 'application/graphql-response+json',
      ...(token ? { Authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  if (json.errors && json.errors.length) {
    const e = json.errors[0];
    throw new Error(`${params.name}: ${e.extensions && e.extensions.code} ${e.message}`);
  }
  return json;
}

const environment = new Environment({
  network: Network.create(fetchFn),
  store: new Store(new RecordSource()),
});

function mutate(mutation, variables) {
  return new Promise((resolve, reject) => {
    commitMutation(environment, { mutation, variables, onCompleted: resolve, onError: reject });
  });
}

// pageAll loads the first page (forward) or the last one (backward) and then
// every next or previous page, as usePaginationFragment would, and returns
// the connection's usernames as the store holds them.
async function pageAll(direction) {
  const variables = direction === 'forward'
    ? { first: pageSize, after: null, last: null, before: null }
    : { first: null, after: null, last: pageSize, before: null };
  // A fresh store per direction: the connection starts from its first page.
  const env = new Environment({ network: Network.create(fetchFn), store: new Store(new RecordSource()) });
  const query = createOperationDescriptor(getRequest(UserListQuery), variables);
  env.retain(query);
  await fetchQuery(env, UserListQuery, variables).toPromise();
  const selector = getSelector(UserListFragment, env.lookup(query.fragment).data);
  const { connectionPathInFragmentData, paginationRequest, paginationMetadata } =
    getPaginationMetadata(UserListFragment, 'examples/relay');
  let requests = 1;
  for (;;) {
    const conn = getValueAtPath(env.lookup(selector).data, connectionPathInFragmentData);
    const more = direction === 'forward' ? conn.pageInfo.hasNextPage : conn.pageInfo.hasPreviousPage;
    if (!more) {
      const usernames = conn.edges.map((edge) => readUser(env, edge.node).username);
      return { usernames, requests };
    }
    const cursor = direction === 'forward' ? conn.pageInfo.endCursor : conn.pageInfo.startCursor;
    const vars = getPaginationVariables(direction, pageSize, cursor, selector.variables, {}, paginationMetadata);
    const page = createOperationDescriptor(paginationRequest, vars);
    env.retain(page);
    await fetchQuery(env, paginationRequest, vars).toPromise();
    requests++;
    if (requests > 10000) throw new Error('no end of pages');
  }
}

function readUser(env, ref) {
  return env.lookup(getSelector(UserCardFragment, ref)).data;
}

async function main() {
  await mutate(SignUp, { input: { username: `relay_${suffix}`.slice(0, 20), email, password } });
  token = (await mutate(LogIn, { email, password })).login.token;

  const forward = await pageAll('forward');
  const backward = await pageAll('backward');

  // @refetchable: fetch the first user again through node(id:).
  const env = environment;
  const data = await fetchQuery(env, UserListQuery, { first: 1, after: null, last: null, before: null }).toPromise();
  const list = getValueAtPath(
    env.lookup(getSelector(UserListFragment, data)).data,
    getPaginationMetadata(UserListFragment, 'examples/relay').connectionPathInFragmentData,
  );
  const id = list.edges[0].node.id;
  const refetched = await fetchQuery(env, UserCardRefetchQuery, { id }).toPromise();
  const card = readUser(env, refetched.node);

  process.stdout.write(JSON.stringify({
    forward: forward.usernames,
    forwardRequests: forward.requests,
    backward: backward.usernames,
    backwardRequests: backward.requests,
    refetched: { id: card.id, username: card.username },
  }) + '\n');
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
