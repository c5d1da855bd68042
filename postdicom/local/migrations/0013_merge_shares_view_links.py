"""Joins the migrations of the branches merged here (outside shares; view links and study
thumbnails).
The lead renumbers them on merging into main; then this file goes."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("postdicom", "0011_outside_shares"),
        ("postdicom", "0012_study_thumbnails"),
    ]

    operations: list[migrations.operations.base.Operation] = []
