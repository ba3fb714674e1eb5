// One user, which Relay can fetch again by its global ID: @refetchable on a
// type that implements Node makes relay-compiler write a node(id:) query.
const { graphql } = require('relay-runtime');

graphql`
  fragment UserCard_user on User @refetchable(queryName: "UserCardRefetchQuery") {
    id
    username
  }
`;
