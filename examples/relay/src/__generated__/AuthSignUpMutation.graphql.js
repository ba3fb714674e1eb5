/**
 * @generated SignedSource<<091b7f36c926d2e4f05792e83db591bf>>
 * @relayHash e0f65f1e73a4f9a149932335830e7515
 * @lightSyntaxTransform
 */

/* eslint-disable */

'use strict';

// @relayRequestID e0f65f1e73a4f9a149932335830e7515

var node = (function(){
var v0 = [
  {
    "defaultValue": null,
    "kind": "LocalArgument",
    "name": "input"
  }
],
v1 = [
  {
    "alias": null,
    "args": [
      {
        "kind": "Variable",
        "name": "input",
        "variableName": "input"
      }
    ],
    "concreteType": "User",
    "kind": "LinkedField",
    "name": "createUser",
    "plural": false,
    "selections": [
      {
        "alias": null,
        "args": null,
        "kind": "ScalarField",
        "name": "id",
        "storageKey": null
      },
      {
        "alias": null,
        "args": null,
        "kind": "ScalarField",
        "name": "username",
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
    "name": "AuthSignUpMutation",
    "selections": (v1/*:: as any*/),
    "type": "Mutation",
    "abstractKey": null
  },
  "kind": "Request",
  "operation": {
    "argumentDefinitions": (v0/*:: as any*/),
    "kind": "Operation",
    "name": "AuthSignUpMutation",
    "selections": (v1/*:: as any*/)
  },
  "params": {
    "id": "e0f65f1e73a4f9a149932335830e7515",
    "metadata": {},
    "name": "AuthSignUpMutation",
    "operationKind": "mutation",
    "text": null
  }
};
})();

node.hash = "d0e25fc5942d2beb5825c77fd2d9c2b4";

module.exports = node;
