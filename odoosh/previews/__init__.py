"""Preview environments, one per pull request (issue 14).

GitHub side: `github` (the REST client), `pulls` (what the sensor decides from the open PRs),
`comment` (the PR comment), `publish` (what a build tells GitHub: deployment, statuses,
comment). Runtime side: `names`, `proxy`, `dns`, `code`, `database`, `environment`, `runtime`
(the interface, and the sandbox's: local processes behind Caddy), `compose` and
`compose_runtime` (docker compose projects behind Traefik). Every name a preview gets derives
from the PR number.
"""
