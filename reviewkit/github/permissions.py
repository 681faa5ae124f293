"""Who may accept findings or teach reviewkit: people with write access to the repository.

A comment's ``author_association`` (OWNER, MEMBER, COLLABORATOR) is the first filter, since GitHub puts
it on every comment; but MEMBER only says the person belongs to the organisation, not that they can
write here, and a label carries no association at all. So every person whose word would change the
gate is also looked up with the collaborator permission API
(``GET /repos/{owner}/{repo}/collaborators/{username}/permission``): ``admin``, ``maintain`` and
``write`` count; ``triage``, ``read`` and ``none`` do not. An answer that cannot be had (not a
collaborator: 404; a token without the right; the API down) counts as no: fail closed.

The pull request's author never counts on their own pull request, whatever their rights, just as GitHub
does not let an author approve their own pull request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote

from reviewkit.github.client import GitHubClient, GitHubError

TRUSTED_ASSOCIATIONS = frozenset({"OWNER", "MEMBER", "COLLABORATOR"})
_WRITE_PERMISSIONS = frozenset({"admin", "write"})
_WRITE_ROLES = frozenset({"admin", "maintain", "write"})


@dataclass(kw_only=True)
class Permissions:
    """Write access of logins on one repository, each asked once per run."""

    client: GitHubClient
    repository: str
    _known: dict[str, tuple[bool, str]] = field(default_factory=dict)

    def can_write(self, login: str) -> tuple[bool, str]:
        """Whether ``login`` may write to the repository, and what GitHub said (for the notes)."""
        key = login.lower()
        if key not in self._known:
            self._known[key] = self._ask(login)
        return self._known[key]

    def _ask(self, login: str) -> tuple[bool, str]:
        if not login:
            return False, "no login"
        path = f"/repos/{self.repository}/collaborators/{quote(login, safe='')}/permission"
        try:
            data = self.client.get(path)
        except GitHubError as exc:
            if exc.status == 404:
                return False, "not a collaborator"
            return False, f"permission unknown ({exc.message})"
        permission = str((data or {}).get("permission") or "none")
        role = str((data or {}).get("role_name") or permission)
        allowed = permission in _WRITE_PERMISSIONS or role in _WRITE_ROLES
        return allowed, f"{role} access"
