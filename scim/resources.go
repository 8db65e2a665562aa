package scim

import (
	"encoding/json"
	"fmt"
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
	groupSchema      = coreGroupSchema()
)

// coreGroupSchema is RFC 7643's Group without members.display: a member is
// kept as the user's id, and its name is the user's own, so display is
// never stored nor returned (an IdP's display is dropped).
func coreGroupSchema() schema.Schema {
	return schema.Schema{
		ID:          groupURN,
		Name:        optional.NewString("Group"),
		Description: optional.NewString("Group"),
		Attributes: []schema.CoreAttribute{
			schema.SimpleCoreAttribute(schema.SimpleStringParams(schema.StringParams{
				Description: optional.NewString("A human-readable name for the Group, unique in the organization. REQUIRED."),
				Name:        "displayName",
				Required:    true,
			})),
			schema.ComplexCoreAttribute(schema.ComplexParams{
				Description: optional.NewString("A list of members of the Group: users of the same organization."),
				MultiValued: true,
				Name:        "members",
				SubAttributes: []schema.SimpleParams{
					schema.SimpleStringParams(schema.StringParams{
						Description: optional.NewString("Identifier of the member of this Group: a user's id."),
						Mutability:  schema.AttributeMutabilityImmutable(),
						Name:        "value",
					}),
					schema.SimpleReferenceParams(schema.ReferenceParams{
						Description:    optional.NewString("The URI of the member: a User resource."),
						Mutability:     schema.AttributeMutabilityImmutable(),
						Name:           "$ref",
						ReferenceTypes: []schema.AttributeReferenceType{"User"},
					}),
					schema.SimpleStringParams(schema.StringParams{
						CanonicalValues: []string{"User"},
						Description:     optional.NewString("The type of the member: 'User'."),
						Mutability:      schema.AttributeMutabilityImmutable(),
						Name:            "type",
					}),
				},
			}),
		},
	}
}

func (h *Handler) resourceTypes() []scim.ResourceType {
	return []scim.ResourceType{
		{
			ID: optional.NewString("User"), Name: "User", Endpoint: "/Users",
			Description: optional.NewString(fmt.Sprintf("A person in the organization. A PATCH has at most %d operations; "+
				"each multi-valued attribute (emails, phoneNumbers, addresses, ...) at most %d values.", h.opt.MaxPatchOperations, h.opt.MaxValues)),
			Schema:           userSchema,
			SchemaExtensions: []scim.SchemaExtension{{Schema: enterpriseSchema}},
			Handler:          h.users,
		},
		{
			ID: optional.NewString("Group"), Name: "Group", Endpoint: "/Groups",
			Description: optional.NewString(fmt.Sprintf("A group of the organization's users. A PATCH has at most %d operations; "+
				"members are limited only by that and the request size.", h.opt.MaxPatchOperations)),
			Schema:  groupSchema,
			Handler: h.groups,
		},
	}
}

// Documentation of what the service provider config advertises.
const (
	docURI        = "https://datatracker.ietf.org/doc/html/rfc7644"
	bearerSpecURI = "https://datatracker.ietf.org/doc/html/rfc6750"
	bearerDocURI  = "https://datatracker.ietf.org/doc/html/rfc7644#section-2"
)

// serviceProviderConfig tells the truth, unlike the library's, which
// hard-codes etag, sort and bulk as unsupported. changePassword depends on
// the token's org: a password sent by its IdP applies only without SSO.
// It has exactly the attributes of RFC 7643 5 (as /Schemas describes them):
// documentationUri at the top and in authenticationSchemes only.
func (h *Handler) serviceProviderConfig(w http.ResponseWriter, r *http.Request) {
	org, err := h.st.GetOrg(r.Context(), orgOf(r))
	if err != nil {
		writeError(w, h.toSCIM(r, err))
		return
	}
	type feature struct {
		Supported bool `json:"supported"`
	}
	doc := map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": docURI,
		"patch":            feature{true},
		"bulk": map[string]any{"supported": true, "maxOperations": h.opt.MaxBulkOperations,
			"maxPayloadSize": h.opt.MaxBodyBytes},
		"filter":         map[string]any{"supported": true, "maxResults": h.opt.MaxResults},
		"changePassword": feature{!org.SSOEnabled},
		"sort":           feature{true},
		"etag":           feature{true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token",
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
