"""Joins the two 0011 migrations of the branches merged here (outside shares, view links).
The lead renumbers them on merging into main; then this file goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("postdicom", "0011_outside_shares"),
        ("postdicom", "0011_view_links"),
    ]

    operations: list[migrations.operations.base.Operation] = []
