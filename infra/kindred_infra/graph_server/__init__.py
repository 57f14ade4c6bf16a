"""The local graph server: a follow graph behind Bluesky's public AppView endpoints.

It is the upstream of every local run and test: getFollowers, getFollows, getProfile and
getProfiles with Bluesky's paths, parameters, JSON shapes, errors, rate-limit headers and
opaque cursors, plus reproducible fault injection; and the same graph in Mastodon's dialect
(`/api/v1/accounts/...`, `Link` pagination, `X-RateLimit-*`, its own limit). Run it with
`python -m kindred_infra.graph_server --port 8787`; `GET /_health` answers once it is ready.

Modules, one job each: graph (load, CSR), identity (handles, DIDs, Mastodon ids), profiles
(views, avatars), cursor, api (the XRPC methods), mastodon (Mastodon's routes), ratelimit,
faults, stats, service (the request pipeline without HTTP), server (HTTP), config and
bootstrap (wiring, main).
"""
