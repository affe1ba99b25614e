"""Shared by the preview tests on the GitHub side: commit SHAs and a client of the double."""

from odoosh.previews.github import GitHubClient, GitHubSettings
from odoosh.sandbox.github_double import GitHubDouble

TOKEN = "test-token-0123"
REPOSITORY = "acme/addons"


def sha(n: int) -> str:
    """A well-formed commit SHA, distinct per n."""
    return f"{n:040x}"


def client(double: GitHubDouble, token: str = TOKEN, **kwargs) -> GitHubClient:
    return GitHubClient(GitHubSettings(REPOSITORY, double.url, token), **kwargs)


def auth(token: str = TOKEN) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json"}
