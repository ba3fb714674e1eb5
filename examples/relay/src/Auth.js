// Sign up and log in.
const { graphql } = require('relay-runtime');

graphql`
  mutation AuthSignUpMutation($input: CreateUserInput!) {
    createUser(input: $input) {
      id
      username
    }
  }
`;

graphql`
  mutation AuthLogInMutation($email: String!, $password: String!) {
    login(email: $email, password: $password) {
      token
    }
  }
`;
