// Package scim is idbridge's SCIM 2.0 endpoint (RFC 7643/7644), mounted at
// <base>/scim/v2, over github.com/elimity-com/scim. It translates protocol to
// store calls and picks status codes; the store decides.
//
// The flow of a request (handler.go): a SCIM error body for everything; the
// bearer token alone picks the org (store.AuthenticateSCIMToken); a per-token
// rate limit; the body limit and Content-Type check; then normalize.go
// rewrites the shapes Okta and Entra ID really send (capitalized ops, string
// booleans, manager as a plain string, PATCH paths equal to the extension URN,
// dotted keys, emails[type eq "work"].value in filters) into what the library
// validates, and takes filter, sortBy and attribute selection out of the
// query for ourselves. The library routes and validates bodies; users.go and
// groups.go turn resources into store calls; filter.go turns a SCIM filter
// into a store.Filter through an allow-list (the backends turn that into
// SQL); patch.go applies PATCH operations to the org's copy of the user
// document; response.go prunes attributes, answers If-None-Match and serves
// /.search; bulk.go runs /Bulk operations through the same path one by one;
// resources.go declares the resource types and our own (truthful)
// /ServiceProviderConfig; ratelimit.go is the per-token token bucket;
// errors.go maps store errors to SCIM errors in one place.
//
// What an org's IdP sends is kept as that org's view of the person
// (store.Membership.Profile) and returned exactly so; the shared account
// changes only through store.ChangeEmail and store.SetName.
package scim
