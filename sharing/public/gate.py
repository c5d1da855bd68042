"""Who may pass a share link, request by request.

A visitor unlocks a share once (its password, or a click for a share without one:
``views.unlock``); the session then remembers the unlock for that share. Every later request
still asks the service for the share (``reopen_share``), so a revocation, a new expiry or a
replaced link counts at the visitor's very next request: the session only spares them the
password, it never keeps an "allowed".

The session holds, per unlocked share, the SHA-256 of the link's token (what the database
holds too: it cannot open anything) and the share's id, never the token itself.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest
from django.utils import translation

from portal.middleware import client_address
from postdicom import get_api
from postdicom.types import SHARE_LANGUAGES, OpenedShare, ShareRefusal

UNLOCKED = "rayport_shares"
LANGUAGE = "rayport_share_language"
BATCHES = "rayport_share_batches"
TOUCHED = "rayport_share_touched"
#: An unlocked share's session is saved (its idle deadline pushed back) at most this often.
TOUCH_SECONDS = 60


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_ip(request: HttpRequest) -> str:
    return client_address(request) or ""


def remember_unlock(request: HttpRequest, token: str, opened: OpenedShare) -> None:
    unlocked = dict(request.session.get(UNLOCKED) or {})
    unlocked[token_key(token)] = {
        "share": str(opened.share_id),
        "password": opened.password_version,
        "at": time.time(),
    }
    request.session[UNLOCKED] = unlocked
    request.session.cycle_key()  # a session id seen before the unlock is no longer the key


def _unlock_of(request: HttpRequest, token: str) -> dict[str, str] | None:
    """What this session remembers of unlocking the share with ``token``: its id and password
    version (None when it did not, or longer ago than ``SESSION_MAX_HOURS``)."""
    entry = (request.session.get(UNLOCKED) or {}).get(token_key(token))
    if not isinstance(entry, dict) or not entry.get("share"):
        return None
    if time.time() - float(entry.get("at", 0)) > settings.SESSION_MAX_HOURS * 3600:
        return None
    return {"share": str(entry["share"]), "password": str(entry.get("password", ""))}


def keep_session_alive(request: HttpRequest) -> None:
    """A visitor looking at images for longer than the idle limit keeps their unlock: the
    session is saved once a minute while they use it (as signed-in sessions are)."""
    now = time.time()
    if now - float(request.session.get(TOUCHED, 0)) >= TOUCH_SECONDS:
        request.session[TOUCHED] = now


@dataclass(frozen=True)
class Passage:
    """The outcome of ``check``: the share as opened now, or why not. ``locked_out`` is a
    visitor who never unlocked it (they get the door, not a refusal)."""

    opened: OpenedShare | None = None
    refusal: ShareRefusal | None = None
    retry_after: int = 0
    locked_out: bool = False


def check(request: HttpRequest, token: str) -> Passage:
    """The share behind ``token`` for this visitor: re-read from the database every time."""
    unlock = _unlock_of(request, token)
    if unlock is None:
        return Passage(locked_out=True)
    opening = get_api().reopen_share(token=token, client_ip=client_ip(request))
    if opening.opened is None:
        return Passage(refusal=opening.refusal, retry_after=opening.retry_after)
    if (str(opening.opened.share_id), opening.opened.password_version) != (unlock["share"], unlock["password"]):
        return Passage(locked_out=True)  # another share now, or a new password: ask again
    keep_session_alive(request)
    return Passage(opened=opening.opened)


def use_language(request: HttpRequest, share_language: str) -> str:
    """The page's language: the one the visitor chose with the switch (``?lang=``, kept in
    the session), else the share's. Activated for the rest of the request."""
    asked = request.GET.get("lang", "")
    if asked in SHARE_LANGUAGES:
        request.session[LANGUAGE] = asked
    language = request.session.get(LANGUAGE) or share_language
    if language not in SHARE_LANGUAGES:
        language = settings.LANGUAGE_CODE
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


def remember_batch(request: HttpRequest, share_id: UUID, batch_id: UUID) -> None:
    batches = dict(request.session.get(BATCHES) or {})
    mine = [*batches.get(str(share_id), []), str(batch_id)][-50:]
    batches[str(share_id)] = mine
    request.session[BATCHES] = batches


def owns_batch(request: HttpRequest, share_id: UUID, batch_id: UUID) -> bool:
    """Whether this visitor started ``batch_id`` through this share. The batch belongs to the
    share's owner (the service acts as them), so without this check a visitor could name any
    upload of the owner's."""
    return str(batch_id) in (request.session.get(BATCHES) or {}).get(str(share_id), [])
