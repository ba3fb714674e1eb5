// The operations this app sends. graphql-codegen (codegen.yml) reads them
// and writes src/gql/: a typed document for each, with its SHA-256, and
// persisted-documents.json.
import { graphql } from './gql/index.js';

export const SignUp = graphql(`
  mutation SignUp($input: CreateUserInput!) {
    createUser(input: $input) {
      id
      username
    }
  }
`);

export const LogIn = graphql(`
  mutation LogIn($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
      expiresAt
    }
  }
`);

export const UsersPage = graphql(`
  query UsersPage($first: Int!, $after: String) {
    users(first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          username
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);
