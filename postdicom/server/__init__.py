"""The HTTP API the portal serves under ``/dicomweb/`` (PS3.18 DICOMweb), on ``get_api()``.

This slice is the read side the viewer uses: QIDO-RS searches (``search``), WADO-RS
retrieve, metadata, frames and rendered images (``retrieve``, ``pixels``), for signed-in
sessions. Views speak HTTP only; who may see what and the audit trail live in the backend.
"""
