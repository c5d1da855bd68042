"""The browser's resumable upload, kept by the portal itself (whatever the backend).

The protocol ``static/js/upload.js`` speaks (through ``orders.views.upload_api`` and the share
link's ``sharing.public.uploads``): a batch is started at the backend (``start_upload``), its
files are registered here by name, size and modification time (the same file registered again,
after a reload, is the same file and says how many bytes already arrived), their bytes are
appended at exact offsets, many small files to a request, streamed to disk in 1 MiB pieces
under a per-file lock; a file that becomes whole is handed to the backend's
``add_upload_files`` (all the files one request completed in one call), which stores it. The
bytes received are the sizes of the files on disk; the database holds only what a file is
(``models``). Orders and sharing both use it; it depends on nothing but ``postdicom``'s contract.
"""
