"""Stored images for DICOMweb: QIDO-RS searches (``search``) and WADO-RS reads (``retrieve``)."""
