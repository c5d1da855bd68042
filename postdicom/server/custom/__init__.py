"""PostDICOM's custom DICOMweb endpoints (``/createpatientorder``, ``/searchfolder``, …):
GET with a ``<Op>Parameters`` JSON header, JSON answers, on top of ``get_api()``."""
