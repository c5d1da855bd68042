"""pydicom helpers for uploads: what a file is, what it holds, and how to anonymize it.

Small modules, each with one job, used by the upload pages and the Celery ingest:

* :mod:`~postdicom.dicom.sniff` — is a file DICOM, a DICOMDIR to skip, or something else?
* :mod:`~postdicom.dicom.read` — :func:`summarize` one file; :func:`read_dicom_files` for a
  batch (PostDICOM's ReadDicomFiles: patients → studies → series, unusable files with reasons).
* :mod:`~postdicom.dicom.anonymize` — :func:`anonymize` a data set, or stream a file to its
  anonymized copy with :func:`anonymize_file`: PostDICOM's replacement values
  (:mod:`~postdicom.dicom.replacements`) after the PS3.15 Basic Profile
  (table: :mod:`~postdicom.dicom.profile`; walk: :mod:`~postdicom.dicom.deidentify`; UIDs and
  dates per upload: :mod:`~postdicom.dicom.uids`).
* :mod:`~postdicom.dicom.documents` — PDF/JPEG/PNG/BMP/MP4 recognised by content.
* :mod:`~postdicom.dicom.archives` — ZIP uploads with path, nesting and bomb checks.
* :mod:`~postdicom.dicom.layout` — the element-header walk behind truncation and depth checks.
* :mod:`~postdicom.dicom.names` — person names as "Last, First Middle".
* :mod:`~postdicom.dicom.comments` — a sentence in a length-limited text element (an LO
  ErrorComment): cut to fit, whole in Rayport's private element (0009,1001).
* :mod:`~postdicom.dicom.sameness` — a second file with one SOP Instance UID: the same image
  (bytes, or pixels after anonymization) or a conflict.

Every refusal is a :class:`~postdicom.dicom.problems.DicomProblem` (DICOM files),
:class:`~postdicom.dicom.documents.DocumentRefused` or an archive member's reason: a stable
code plus a sentence for clinic staff. Nothing here touches the database.
"""
