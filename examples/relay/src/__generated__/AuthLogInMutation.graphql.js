/**
 * @generated SignedSource<<bcb0ae04f5a329a7cc3b8add282e55b1>>
 * @relayHash 48c0d13e1d5298bba7d46c2430a3ee6b
 * @lightSyntaxTransform
 */

/* eslint-disable */

'use strict';

// @relayRequestID 48c0d13e1d5298bba7d46c2430a3ee6b

var node = (function(){
var v0 = [
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "email"
  },
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "password"
  }
],
v1 = [
  {
    "alias": null,
    "args": [
      {
        "kind": "Variable",
        "name": "email",
        "variableName": "email"
      },
      {
        "kind": "Variable",
        "name": "password",
        "variableName": "password"
      }
    ],
    "concreteType": "AuthPayload",
    "kind": "LinkedField",
    "name": "login",
    "plural": false,
    "selections": [
      {
        "alias": null,
        "args": null,
        "kind": "ScalarField",
        "name": "token",
        "storageKey": null
      }
    ],
    "storageKey": null
  }
];
return {
  "fragment": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Fragment",
    "metadata": null,
    "name": "AuthLogInMutation",
    "selections": (v1/*:: as any*/),
    "type": "Mutation",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Operation",
    "name": "AuthLogInMutation",
    "selections": (v1/*:: as any*/)
  },
  "params": {
    "id": "48c0d13e1d5298bba7d46c2430a3ee6b",
    "metadata": {},
    "name": "AuthLogInMutation",
    "operationKind": "mutation",
    "text": null
  }
};
})();

node.hash = "8bdee233681bbab800e4f1a32272163c";

module.exports = node;
