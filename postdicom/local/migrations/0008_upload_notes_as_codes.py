"""Batch notes become codes with parameters (postdicom.local.uploads.notes), worded in the
reader's language. The sentences stored before were the folder errors, one per order, in the
worker's language (English, or Spanish where LANGUAGE_CODE was Spanish): each known sentence
becomes its code, counted per batch; anything else is kept as it was (shown as stored)."""

from collections import Counter

from django.db import migrations

KNOWN = {
    "No such folder.": "folder_gone",
    "La carpeta no existe.": "folder_gone",
    "This folder is shared with you to view only.": "folder_read_only",
    "Esta carpeta se ha compartido con usted solo para verla.": "folder_read_only",
}
SENTENCES = {"folder_gone": "No such folder.", "folder_read_only": "This folder is shared with you to view only."}


def to_codes(apps, schema_editor):
    UploadBatch = apps.get_model("postdicom", "UploadBatch")
    for batch in UploadBatch.objects.exclude(notes=[]).only("pk", "notes").iterator():
        codes = Counter(KNOWN[n] for n in batch.notes if isinstance(n, str) and n in KNOWN)
        if not codes:
            continue
        kept = [n for n in batch.notes if not (isinstance(n, str) and n in KNOWN)]
        batch.notes = kept + [{"code": code, "orders": n} for code, n in codes.items()]
        batch.save(update_fields=["notes"])


def to_sentences(apps, schema_editor):
    UploadBatch = apps.get_model("postdicom", "UploadBatch")
    for batch in UploadBatch.objects.exclude(notes=[]).only("pk", "notes").iterator():
        notes = []
        for note in batch.notes:
            if isinstance(note, dict):
                sentence = SENTENCES.get(note.get("code"), "An order could not be filed into the chosen folder.")
                notes += [sentence] * int(note.get("orders") or 1)
            else:
                notes.append(note)
        batch.notes = notes
        batch.save(update_fields=["notes"])


class Migration(migrations.Migration):
    dependencies = [("postdicom", "0007_uids_unique_per_order")]

    operations = [migrations.RunPython(to_codes, to_sentences)]
