"""Choice lists the order pages share: who an order can be assigned to, where it can move."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from portal.access import AuthedRequest
from postdicom import get_api
from postdicom.types import UserQuery

ASSIGNEE_LIMIT = 500


@dataclass(frozen=True)
class Assignee:
    value: str  # "user:<uuid>" or "group:<uuid>"
    label: str
    kind: str  # "user" or "group"


def assignees(request: AuthedRequest, institution_id: UUID | None = None) -> list[Assignee]:
    """Active users (of ``institution_id`` when given) and every user group."""
    api = get_api()
    query = UserQuery(institution_id=institution_id, include_inactive=False, page_size=ASSIGNEE_LIMIT)
    users = api.list_users(actor=request.user, query=query).items
    options = [Assignee(f"user:{u.id}", f"{u.full_name} ({u.username})", "user") for u in users]
    options += [Assignee(f"group:{g.id}", g.name, "group") for g in api.list_user_groups(actor=request.user)]
    return options
