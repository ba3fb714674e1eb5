// The list of users, paged in both directions: a @connection on users with
// Relay's four arguments, made @refetchable so Relay can fetch its next and
// previous pages. relay-compiler reads these tags; main.js runs what it makes.
const { graphql } = require('relay-runtime');

graphql`
  fragment UserList_query on Query
  @refetchable(queryName: "UserListPaginationQuery")
  @argumentDefinitions(
    first: { type: "Int" }
    after: { type: "String" }
    last: { type: "Int" }
    before: { type: "String" }
  ) {
    users(first: $first, after: $after, last: $last, before: $before)
      @connection(key: "UserList_users") {
      edges {
        node {
          id
          ...UserCard_user
        }
      }
    }
  }
`;

graphql`
  query UserListQuery($first: Int, $after: String, $last: Int, $before: String) {
    ...UserList_query @arguments(first: $first, after: $after, last: $last, before: $before)
  }
`;
