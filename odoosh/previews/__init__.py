"""Preview environments, one per pull request (issue 14).

GitHub side: `github` (the REST client), `pulls` (what the sensor decides from the open PRs),
`comment` (the PR comment), `publish` (what a build tells GitHub: deployment, statuses,
comment). Runtime side: `names`, `proxy`, `dns`, `code`, `database`, `environment`,
`compose`. Every name a preview gets derives from the PR number.
"""
