"""Uploads in the embedded backend, one module per step.

``receive`` takes a batch's files in resumable chunks (the web process streams each chunk to
a file under ``RAYPORT_UPLOAD_DIR``); ``ingest`` turns each received file into a stored,
indexed instance (Celery runs it; see ``postdicom.local.tasks``), with ``indexing`` deciding
which order a study joins and ``archives`` expanding ZIP files; ``report`` tells the browser
how far a batch got; ``preview`` is ReadDicomFiles; ``documents`` attaches clinical files to
orders; ``storage`` says where files live. Like ``postdicom.local.orders``, this package
imports nothing at load time.
"""
