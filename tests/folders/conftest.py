"""Folders and orders for the folder page tests, made through the service as a user would."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from postdicom import get_api
from postdicom.types import Role
from tests.conftest import make_user
from tests.orders.conftest import new_order

UNKNOWN = uuid.UUID("00000000-0000-4000-8000-000000000000")
HTMX = {"HTTP_HX_REQUEST": "true"}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def colleague(clinic):
    """Staff of the same institution as ``staff_user``: same orders, not the same folders."""
    return make_user("cole", Role.STAFF, [clinic], first_name="Cole", last_name="League")


@pytest.fixture
def colleague_client(colleague):
    client = Client()
    client.force_login(colleague)
    return client


@pytest.fixture
def march(staff_user):
    """staff_user's Cardiology / 2026 / March."""
    return get_api().create_folder(actor=staff_user, name="Cardiology/2026/March", description="Echo reports")


@pytest.fixture
def order(staff_user, clinic):
    return new_order(staff_user, clinic, accession_number="AN-1", study_description="Chest")


@pytest.fixture
def filed(staff_user, order, march):
    """``order`` filed in March."""
    get_api().add_order_to_folders(actor=staff_user, order_id=order.id, folder_ids=[march.id])
    return order
