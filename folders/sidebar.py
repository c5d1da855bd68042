"""The folder tree beside every folder page: the top level, with the way down to the folder
being shown opened. Other branches open on demand (htmx loads ``folders:children``)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from postdicom.types import Folder, FolderTree


@dataclass(frozen=True)
class TreeNode:
    """A folder in the side tree. ``children`` None: not loaded (the branch is closed)."""

    folder: Folder
    children: tuple[TreeNode, ...] | None = None
    current: bool = False


def closed_nodes(folders: tuple[Folder, ...]) -> tuple[TreeNode, ...]:
    return tuple(TreeNode(folder) for folder in folders)


def _nodes(
    tree: FolderTree, parent_id: UUID | None, opened: set[UUID], current_id: UUID | None
) -> tuple[TreeNode, ...]:
    return tuple(
        TreeNode(
            folder,
            _nodes(tree, folder.id, opened, current_id) if folder.id in opened else None,
            folder.id == current_id,
        )
        for folder in tree.children(parent_id)
    )


def side_tree(tree: FolderTree, current: Folder | None = None) -> tuple[TreeNode, ...]:
    """The top level of ``tree``, with ``current`` and the folders above it opened."""
    if current is None:
        return _nodes(tree, None, set(), None)
    opened = {a.id for a in current.ancestors} | {current.id}
    return _nodes(tree, None, opened, current.id)
