package scim

import (
	"encoding/json"
	"net/http"

	"github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"
	"github.com/elimity-com/scim/schema"
)

// Schema URNs.
const (
	userURN       = "urn:ietf:params:scim:schemas:core:2.0:User"
	groupURN      = "urn:ietf:params:scim:schemas:core:2.0:Group"
	enterpriseURN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	patchOpURN    = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	searchURN     = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
	listURN       = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	bulkReqURN    = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
	bulkRespURN   = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
)

var (
	userSchema       = schema.CoreUserSchema()
	enterpriseSchema = schema.ExtensionEnterpriseUser()
	groupSchema      = schema.CoreGroupSchema()
)

func (h *Handler) resourceTypes() []scim.ResourceType {
	return []scim.ResourceType{
		{
			ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
			Description:      optional.NewString("A person in the organization"),
			Schema:           userSchema,
			SchemaExtensions: []scim.SchemaExtension{{Schema: enterpriseSchema}},
			Handler:          h.users,
		},
		{
			ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
			Description: optional.NewString("A group of the organization's users"),
			Schema:      groupSchema,
			Handler:     h.groups,
		},
	}
}

// Documentation of what the service provider config advertises.
const (
	docURI         = "https://datatracker.ietf.org/doc/html/rfc7644"
	bearerSpecURI  = "https://datatracker.ietf.org/doc/html/rfc6750"
	bearerDocURI   = "https://datatracker.ietf.org/doc/html/rfc7644#section-2"
	patchDocURI    = "https://datatracker.ietf.org/doc/html/rfc7644#section-3.5.2"
	bulkDocURI     = "https://datatracker.ietf.org/doc/html/rfc7644#section-3.7"
	filterDocURI   = "https://datatracker.ietf.org/doc/html/rfc7644#section-3.4.2.2"
	sortDocURI     = "https://datatracker.ietf.org/doc/html/rfc7644#section-3.4.2.3"
	etagDocURI     = "https://datatracker.ietf.org/doc/html/rfc7644#section-3.14"
	passwordDocURI = "https://datatracker.ietf.org/doc/html/rfc7644#section-3.5.2"
)

// serviceProviderConfig tells the truth, unlike the library's, which
// hard-codes etag, sort and bulk as unsupported. changePassword depends on
// the token's org: a password sent by its IdP applies only without SSO.
func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	org, err := h.st.GetOrg(r.Context(), orgOf(r))
	if err != nil {
		writeError(w, h.toSCIM(r, err))
		return
	}
	type feature struct {
		Supported        bool   `json:"supported"`
		DocumentationURI string `json:"documentationUri,omitempty"`
	}
	doc := map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": docURI,
		"patch":            feature{true, patchDocURI},
		"bulk": map[string]any{"supported": true, "maxOperations": h.opt.MaxBulkOperations,
			"maxPayloadSize": h.opt.MaxBodyBytes, "documentationUri": bulkDocURI},
		"filter":         map[string]any{"supported": true, "maxResults": h.opt.MaxResults, "documentationUri": filterDocURI},
		"changePassword": feature{!org.SSOEnabled, passwordDocURI},
		"sort":           feature{true, sortDocURI},
		"etag":           feature{true, etagDocURI},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "A SCIM token of the organization, created with `idbridge scim-token create`, sent as Authorization: Bearer <token>.",
			"specUri":     bearerSpecURI, "documentationUri": bearerDocURI,
		}},
		"meta": map[string]any{"resourceType": "ServiceProviderConfig",
			"location": h.opt.BaseURL + h.opt.Prefix + "/ServiceProviderConfig"},
	}
	b, _ := json.Marshal(doc)
	w.Header().Set("Content-Type", contentType)
	_, _ = w.Write(b)
}
