"""PostDICOM's custom endpoints, flat under ``/dicomweb/`` as PostDICOM serves them."""

from __future__ import annotations

from django.urls import path

from postdicom.server.custom import folders, orders, shares, tags

urlpatterns = [
    path("createpatientorder", orders.create_patient_order, name="createpatientorder"),
    path("getpatientorderlist", orders.get_patient_order_list, name="getpatientorderlist"),
    path("getpatientorderproperties", orders.get_patient_order_properties, name="getpatientorderproperties"),
    path("deleteorder", orders.delete_order, name="deleteorder"),
    path("assignordertouser", orders.assign_order_to_user, name="assignordertouser"),
    path("assignordertousergroup", orders.assign_order_to_user_group, name="assignordertousergroup"),
    path("createfolder", folders.create_folder, name="createfolder"),
    path("searchfolder", folders.search_folder, name="searchfolder"),
    path("addordertofolder", folders.add_order_to_folder, name="addordertofolder"),
    path("createsharelink", shares.create_share_link, name="createsharelink"),
    path("sharepatientorderwithurl", shares.share_patient_order_with_url, name="sharepatientorderwithurl"),
    path("sharefolderwithurl", shares.share_folder_with_url, name="sharefolderwithurl"),
    path("getdicomtagcontent", tags.get_dicom_tag_content, name="getdicomtagcontent"),
]
