// A typed client of the users service: Apollo Client 4 with the documents
// graphql-codegen generated (src/gql/), persisted queries, and Relay-style
// pagination in the cache (relayStylePagination + fetchMore). It signs up,
// logs in and pages through every user, then prints them as JSON.
//
//   GRAPHQL_URL=http://localhost:5000/graphql PERSISTED=apq node dist/main.js
//
// PERSISTED says how the server takes persisted queries:
//   apq      automatic persisted queries: the hash of the text Apollo sends;
//            an unknown hash is answered PersistedQueryNotFound, and Apollo
//            sends the document once.
//   trusted  the server runs only src/gql/persisted-documents.json
//            (TRUSTED_DOCUMENTS): Apollo sends graphql-codegen's hash alone.
import { createHash } from 'node:crypto';

import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';

import { LogIn, SignUp, UsersPage } from './operations.js';

const url = process.env.GRAPHQL_URL ?? 'http://localhost:5000/graphql';
const mode = process.env.PERSISTED ?? 'apq';
const pageSize = Number(process.env.PAGE_SIZE ?? 3);
const suffix = Date.now().toString(36);
const email = process.env.EMAIL ?? `ts_${suffix}@example.com`;
const password = process.env.PASSWORD ?? 'typescript1';

let token = '';

// The hash Apollo sends: graphql-codegen's (its manifest's key, without the
// "sha256:" prefix) for trusted documents; for APQ, the SHA-256 of the text
// Apollo itself sends when the server asks for it.
const persisted =
  mode === 'trusted'
    ? new PersistedQueryLink({
        generateHash: (doc) => String((doc as { __meta__?: { hash?: string } }).__meta__?.hash).replace(/^sha256:/, ''),
        useGETForHashedQueries: true,
      })
    : new PersistedQueryLink({
        sha256: (text: string) => createHash('sha256').update(text).digest('hex'),
        useGETForHashedQueries: true,
      });

const auth = new SetContextLink(({ headers }) => ({
  headers: { ...headers, ...(token ? { Authorization: `Bearer ${token}` } : {}) },
}));

const client = new ApolloClient({
  link: ApolloLink.from([auth, persisted, new HttpLink({ uri: url })]),
  cache: new InMemoryCache({
    typePolicies: { Query: { fields: { users: relayStylePagination() } } },
  }),
  clientAwareness: { name: 'users-example-typescript', version: '1.0.0' },
});

async function main(): Promise<void> {
  const signedUp = await client.mutate({
    mutation: SignUp,
    variables: { input: { username: `ts_${suffix}`.slice(0, 20), email, password } },
  });
  if (!signedUp.data) throw new Error('sign-up returned no data');
  const login = await client.mutate({ mutation: LogIn, variables: { email, password } });
  token = login.data?.login.token ?? '';
  if (!token) throw new Error('login returned no token');

  // The first page, then fetchMore until the last: relayStylePagination
  // appends each page to the cached list.
  const query = client.watchQuery({ query: UsersPage, variables: { first: pageSize } });
  const subscription = query.subscribe({ error: (err) => { throw err; } });
  let pages = 0;
  let page = (await query.refetch()).data;
  for (pages = 1; page?.users.pageInfo.hasNextPage; pages++) {
    if (pages > 10000) throw new Error('no end of pages');
    await query.fetchMore({ variables: { after: page.users.pageInfo.endCursor } });
    page = client.readQuery({ query: UsersPage, variables: { first: pageSize } }) ?? undefined;
  }
  subscription.unsubscribe();
  const users = page?.users.edges.map((edge) => edge.node.username) ?? [];
  process.stdout.write(JSON.stringify({ users, pages, mode }) + '\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
