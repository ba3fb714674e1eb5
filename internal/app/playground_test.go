package app_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"

	"users/graph"
	"users/internal/app"
	"users/internal/apptest"
)

// TestPlaygroundDocument: the document the playground opens on runs on
// this schema, names its four operations, and is on the page.
func TestPlaygroundDocument(t *testing.T) {
	doc, errs := gqlparser.LoadQueryWithRules(graph.Schema(), app.PlaygroundDocument, nil)
	if errs != nil {
		t.Fatalf("the playground's document does not validate: %v", errs)
	}
	var names []string
	for _, op := range doc.Operations {
		names = append(names, op.Name)
	}
	if got := strings.Join(names, " "); got != "SignUp LogIn Me Users" {
		t.Errorf("operations %q, want SignUp LogIn Me Users", got)
	}

	srv := apptest.Start(t, apptest.Config())
	status, _, body := srv.Do(t, http.MethodGet, "/playground", nil, "")
	page := html.UnescapeString(string(body))
	if status != http.StatusOK || !strings.Contains(page, app.PlaygroundDocument) || !strings.Contains(page, `"Authorization": ""`) {
		t.Errorf("status %d; the page does not carry the document and the headers template", status)
	}
}
