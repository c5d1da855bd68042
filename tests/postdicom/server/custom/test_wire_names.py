"""The paths and header names are PostDICOM's exactly (its DICOMweb client's Program.cs):
a renamed header would break every PostDICOM client without any other test noticing."""

from __future__ import annotations

from django.urls import resolve

POSTDICOM = {
    "createpatientorder": "CreatePatientOrderParameters",
    "getpatientorderlist": "GetPatientOrderListParameters",
    "getpatientorderproperties": "GetPatientOrderPropertiesParameters",
    "deleteorder": "DeleteOrderParameters",
    "createfolder": "CreateFolderParameters",
    "searchfolder": "SearchFolderParameters",
    "addordertofolder": "AddOrderToFolderParameters",
    "assignordertouser": "AssignOrderToUserParameters",
    "assignordertousergroup": "AssignOrderToUserGroupParameters",
    "createsharelink": "ShareParameters",
    "sharepatientorderwithurl": "SharePatientOrderParameters",
    "sharefolderwithurl": "ShareFolderParameters",
    "getdicomtagcontent": "GetDicomTagContentParameters",
}


def test_every_postdicom_path_reads_postdicoms_header():
    for path, header in POSTDICOM.items():
        match = resolve(f"/dicomweb/{path}")
        assert match.namespace == "dicomweb"
        assert match.func.spec.header == header, path
