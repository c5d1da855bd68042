"""The folders others shared with the user, as the folder pages and the order pages use them:
the sidebar's "Shared with me" / "Shared with my groups" sections, and the shared folders the
user may file orders in (offered next to their own folders by "Add to folders")."""

from __future__ import annotations

from typing import Any

from portal.access import AuthedRequest
from postdicom import get_api
from postdicom.collation import sort_key
from postdicom.types import Capability, SharedFolder, SharedFolderList


def shared_lists(request: AuthedRequest) -> SharedFolderList:
    """What is shared with the user and their groups (nothing on a backend without sharing)."""
    api = get_api()
    if Capability.SHARED_FOLDERS not in api.capabilities:
        return SharedFolderList()
    return api.shared_folders(actor=request.user)


def sections(found: SharedFolderList) -> dict[str, Any]:
    return {"shared_with_me": found.with_me, "shared_with_my_groups": found.with_my_groups}


def editable(found: SharedFolderList) -> tuple[SharedFolder, ...]:
    """The shared folders the user may file orders in, each once, by name."""
    seen: dict[object, SharedFolder] = {}
    for entry in (*found.with_me, *found.with_my_groups):
        if entry.folder.rights.can_file_orders:
            seen.setdefault(entry.folder.id, entry)
    return tuple(sorted(seen.values(), key=lambda e: (sort_key(e.folder.name), sort_key(e.owner.name))))
