"""Template helpers of the folder pages and of the folder parts of the order pages.

The folder choices and the side tree are built in Python rather than with template loops:
a user may have thousands of folders, and a template loop with an ``{% url %}`` and a
translation per folder took most of a folder page's time (bench/folders).
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from uuid import UUID

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from folders.sidebar import TreeNode
from postdicom.types import Folder

register = template.Library()

_INDENT = "\u00a0\u00a0\u00a0"  # no-break spaces: a select cannot indent otherwise
_ANY_ID = "00000000-0000-0000-0000-000000000000"


def _ids(value: object) -> set[str]:
    if value is None or value == "":
        return set()
    if isinstance(value, str | UUID):
        return {str(value)}
    if isinstance(value, Iterable):
        return {str(v) for v in value}
    return {str(value)}


@register.simple_tag
def folder_options(folders: Iterable[Folder] | None, selected: object = None, exclude: object = ()) -> SafeString:
    """``<option>`` elements for ``folders`` (a tree, depth first), indented by depth, with
    ``selected`` (an id or several) selected and ``exclude`` (an id or several) left out."""
    chosen, left_out = _ids(selected), _ids(exclude)
    parts = []
    for folder in folders or ():
        value = str(folder.id)
        if value in left_out:
            continue
        mark = " selected" if value in chosen else ""
        indent = _INDENT * len(folder.ancestors)
        parts.append(f'<option value="{value}"{mark}>{indent}{html.escape(folder.name)}</option>')
    return mark_safe("".join(parts))  # every name is escaped above


@register.simple_tag
def tree_nodes(nodes: Iterable[TreeNode]) -> SafeString:
    """The ``<li>`` items of a side tree. Each folder links to its page and shows its counts
    (orders here / with its sub-folders). A folder with sub-folders is a ``<details>``
    branch: open when its children are loaded, else opened by htmx from ``folders:children``
    (with a link to the folder for browsers without JavaScript)."""
    urls = (reverse("folders:detail", args=[_ANY_ID]), reverse("folders:children", args=[_ANY_ID]))
    return mark_safe("".join(_node(node, urls) for node in nodes))  # every name is escaped


def _label(node: TreeNode, href: str) -> str:
    folder = node.folder
    current = ' aria-current="page"' if node.current else ""
    shown = str(folder.order_count)
    if folder.all_sub_order_count != folder.order_count:
        shown += f'<span class="count-all"> / {folder.all_sub_order_count}</span>'
    spoken = ngettext(
        "(%(n)d order here, %(all)d with its sub-folders)",
        "(%(n)d orders here, %(all)d with its sub-folders)",
        folder.order_count,
    ) % {
        "n": folder.order_count,
        "all": folder.all_sub_order_count,
    }
    return (
        f'<span class="tree-leaf"><a class="tree-link" href="{href}"{current}>{html.escape(folder.name)}</a>'
        f'<span class="folder-count"><span aria-hidden="true">{shown}</span>'
        f'<span class="visually-hidden">{html.escape(spoken)}</span></span></span>'
    )


def _node(node: TreeNode, urls: tuple[str, str]) -> str:
    folder_id = str(node.folder.id)
    href = urls[0].replace(_ANY_ID, folder_id)
    label = _label(node, href)
    item = '<li class="tree-node current">' if node.current else '<li class="tree-node">'
    if not node.folder.sub_folder_count:
        return f"{item}{label}</li>"
    if node.children is not None:
        inner = "".join(_node(child, urls) for child in node.children)
        return f'{item}<details class="tree-branch" open><summary>{label}</summary><ul class="tree-children">{inner}</ul></details></li>'  # noqa: E501
    lazy = urls[1].replace(_ANY_ID, folder_id)
    hint = html.escape(_("Open the folder to see its sub-folders"))
    return (
        f'{item}<details class="tree-branch" hx-get="{lazy}" hx-trigger="toggle once"'
        f' hx-target="find .tree-children" hx-swap="innerHTML"><summary>{label}</summary>'
        f'<ul class="tree-children"><li class="tree-node"><a class="small" href="{href}">{hint}</a></li></ul>'
        "</details></li>"
    )
