"""DICOM PS3.15 Annex E, Table E.1-1: the Basic Application Level Confidentiality Profile, as data.

Each attribute is listed by its pydicom keyword with the action code of the standard's "Basic
Profile" column:

* ``X`` remove; ``Z`` empty (zero length); ``D`` a dummy value; ``U`` a new UID, consistent
  within the upload; ``K`` keep;
* combined codes (``X/Z``, ``X/D``, ``Z/D``, ``X/Z/D``, ``X/Z/U*``) let the implementation pick;
  :func:`resolve` says which one Rayport picks.

Rayport applies the profile with the **Retain Longitudinal Temporal Information with Modified
Dates** option: every date (DA) and the date part of every date-time (DT) that is not removed is
shifted back by the same whole number of days for the whole upload (derived from the batch
secret, see :class:`postdicom.dicom.uids.UidMap`), so intervals between studies, series and
acquisitions stay true; times (TM) of attributes the profile would empty or replace are kept,
which whole-day shifts make harmless. The birth date is emptied all the same.

Beyond the table (stricter than the standard): every private attribute is removed, curve
data (50xx) and overlay data and comments (60xx,3000/4000) are removed, every UID that is not
a DICOM-defined class or syntax is remapped (not only those listed), and any person name (PN)
not listed is emptied.
"""

from __future__ import annotations

from enum import StrEnum

from pydicom import datadict


class Action(StrEnum):
    """What Rayport does to an attribute."""

    REMOVE = "remove"
    EMPTY = "empty"
    DUMMY = "dummy"  # a dummy value; for a sequence: keep it and clean its items
    UID = "uid"  # a consistent new UID
    SHIFT = "shift"  # a date shifted by the upload's offset
    KEEP = "keep"  # kept (then cleaned if it is a sequence)


BASIC_PROFILE: dict[str, str] = {
    "AccessionNumber": "Z",
    "AcquisitionComments": "X",
    "AcquisitionContextSequence": "X",
    "AcquisitionDate": "X/Z",
    "AcquisitionDateTime": "X/Z/D",
    "AcquisitionDeviceProcessingDescription": "X/D",
    "AcquisitionProtocolDescription": "X",
    "AcquisitionTime": "X/Z",
    "ActualHumanPerformersSequence": "X",
    "AdditionalPatientHistory": "X",
    "AdmissionID": "X",
    "AdmittingDate": "X",
    "AdmittingDiagnosesCodeSequence": "X",
    "AdmittingDiagnosesDescription": "X",
    "AdmittingTime": "X",
    "Allergies": "X",
    "Arbitrary": "X",
    "AuthorObserverSequence": "X",
    "BranchOfService": "X",
    "CassetteID": "X",
    "CommentsOnThePerformedProcedureStep": "X",
    "ConcatenationUID": "U",
    "ConfidentialityConstraintOnPatientDataDescription": "X",
    "ConsultingPhysicianName": "X",
    "ConsultingPhysicianIdentificationSequence": "X",
    "ContentCreatorName": "Z",
    "ContentCreatorIdentificationCodeSequence": "X",
    "ContentDate": "Z/D",
    "ContentSequence": "X",
    "ContentTime": "Z/D",
    "ContextGroupExtensionCreatorUID": "U",
    "ContrastBolusAgent": "Z/D",
    "ContributionDescription": "X",
    "CountryOfResidence": "X",
    "CreatorVersionUID": "U",
    "CurrentPatientLocation": "X",
    "CurveDate": "X",
    "CurveTime": "X",
    "CustodialOrganizationSequence": "X",
    "DataSetTrailingPadding": "X",
    "DateOfLastCalibration": "X",
    "DateOfSecondaryCapture": "X",
    "DerivationDescription": "X",
    "DetectorID": "X/D",
    "DeviceDescription": "X",
    "DeviceSerialNumber": "X/Z/D",
    "DeviceUID": "U",
    "DigitalSignatureUID": "X",
    "DigitalSignaturesSequence": "X",
    "DimensionOrganizationUID": "U",
    "DischargeDiagnosisDescription": "X",
    "DistributionAddress": "X",
    "DistributionName": "X",
    "DoseReferenceUID": "U",
    "EndAcquisitionDateTime": "X/D",
    "EthnicGroup": "X",
    "ExpectedCompletionDateTime": "X",
    "FailedSOPInstanceUIDList": "U",
    "FiducialUID": "U",
    "FillerOrderNumberImagingServiceRequest": "Z",
    "FrameComments": "X",
    "FrameOfReferenceUID": "U",
    "GantryID": "X",
    "GeneratorID": "X",
    "GraphicAnnotationSequence": "D",
    "HumanPerformerName": "X",
    "HumanPerformerOrganization": "X",
    "IconImageSequence": "X",
    "IdentifyingComments": "X",
    "ImageComments": "X",
    "ImagePresentationComments": "X",
    "ImagingServiceRequestComments": "X",
    "Impressions": "X",
    "InstanceCreatorUID": "U",
    "InstitutionAddress": "X",
    "InstitutionCodeSequence": "X/Z/D",
    "InstitutionName": "X/Z/D",
    "InstitutionalDepartmentName": "X",
    "InsurancePlanIdentification": "X",
    "IntendedRecipientsOfResultsIdentificationSequence": "X",
    "InterpretationApproverSequence": "X",
    "InterpretationAuthor": "X",
    "InterpretationDiagnosisDescription": "X",
    "InterpretationIDIssuer": "X",
    "InterpretationRecorder": "X",
    "InterpretationText": "X",
    "InterpretationTranscriber": "X",
    "IrradiationEventUID": "U",
    "IssuerOfAccessionNumberSequence": "X",
    "IssuerOfAdmissionID": "X",
    "IssuerOfPatientID": "X",
    "IssuerOfServiceEpisodeID": "X",
    "LargePaletteColorLookupTableUID": "U",
    "LastMenstrualDate": "X",
    "MAC": "X",
    "MediaStorageSOPInstanceUID": "U",
    "MedicalAlerts": "X",
    "MedicalRecordLocator": "X",
    "MilitaryRank": "X",
    "ModifiedAttributesSequence": "X",
    "ModifiedImageDescription": "X",
    "ModifyingDeviceID": "X",
    "ModifyingDeviceManufacturer": "X",
    "NameOfPhysiciansReadingStudy": "X",
    "NamesOfIntendedRecipientsOfResults": "X",
    "ObservationUID": "U",
    "Occupation": "X",
    "OperatorIdentificationSequence": "X/D",
    "OperatorsName": "X/Z/D",
    "OrderCallbackPhoneNumber": "X",
    "OrderEnteredBy": "X",
    "OrderEntererLocation": "X",
    "OrderFillerIdentifierSequence": "X",
    "OrderPlacerIdentifierSequence": "X",
    "OriginalAttributesSequence": "X",
    "OtherPatientIDs": "X",
    "OtherPatientIDsSequence": "X",
    "OtherPatientNames": "X",
    "OverlayDate": "X",
    "OverlayTime": "X",
    "ParticipantSequence": "X",
    "PatientAddress": "X",
    "PatientAge": "X",
    "PatientAlternativeCalendar": "X",
    "PatientBirthDate": "Z",
    "PatientBirthDateInAlternativeCalendar": "X",
    "PatientBirthName": "X",
    "PatientBirthTime": "X",
    "PatientComments": "X",
    "PatientDeathDateInAlternativeCalendar": "X",
    "PatientID": "Z",
    "PatientInstitutionResidence": "X",
    "PatientInsurancePlanCodeSequence": "X",
    "PatientMotherBirthName": "X",
    "PatientName": "Z",
    "PatientPrimaryLanguageCodeSequence": "X",
    "PatientPrimaryLanguageModifierCodeSequence": "X",
    "PatientReligiousPreference": "X",
    "PatientSex": "Z",
    "PatientSexNeutered": "X/Z",
    "PatientSize": "X",
    "PatientState": "X",
    "PatientTelecomInformation": "X",
    "PatientTelephoneNumbers": "X",
    "PatientTransportArrangements": "X",
    "PatientWeight": "X",
    "PerformedLocation": "X",
    "PerformedProcedureStepDescription": "X",
    "PerformedProcedureStepEndDate": "X",
    "PerformedProcedureStepEndTime": "X",
    "PerformedProcedureStepID": "X",
    "PerformedProcedureStepStartDate": "X",
    "PerformedProcedureStepStartTime": "X",
    "PerformedStationAETitle": "X",
    "PerformedStationGeographicLocationCodeSequence": "X",
    "PerformedStationName": "X",
    "PerformedStationNameCodeSequence": "X",
    "PerformingPhysicianIdentificationSequence": "X",
    "PerformingPhysicianName": "X",
    "PersonAddress": "X",
    "PersonIdentificationCodeSequence": "D",
    "PersonName": "D",
    "PersonTelephoneNumbers": "X",
    "PhysicianApprovingInterpretation": "X",
    "PhysiciansOfRecord": "X",
    "PhysiciansOfRecordIdentificationSequence": "X",
    "PhysiciansReadingStudyIdentificationSequence": "X",
    "PlacerOrderNumberImagingServiceRequest": "Z",
    "PlateID": "X",
    "PreMedication": "X",
    "PregnancyStatus": "X",
    "ProtocolName": "X/D",
    "ReasonForStudy": "X",
    "ReasonForTheImagingServiceRequest": "X",
    "ReasonForTheRequestedProcedure": "X",
    "ReasonForVisit": "X",
    "ReasonForVisitCodeSequence": "X",
    "ReferencedDigitalSignatureSequence": "X",
    "ReferencedFrameOfReferenceUID": "U",
    "ReferencedGeneralPurposeScheduledProcedureStepTransactionUID": "U",
    "ReferencedImageSequence": "X/Z/U*",
    "ReferencedPatientAliasSequence": "X",
    "ReferencedPatientPhotoSequence": "X",
    "ReferencedPatientSequence": "X",
    "ReferencedPerformedProcedureStepSequence": "X/Z/D",
    "ReferencedSOPInstanceMACSequence": "X",
    "ReferencedSOPInstanceUID": "U",
    "ReferencedSOPInstanceUIDInFile": "U",
    "ReferencedStudySequence": "X/Z",
    "ReferringPhysicianAddress": "X",
    "ReferringPhysicianIdentificationSequence": "X",
    "ReferringPhysicianName": "Z",
    "ReferringPhysicianTelephoneNumbers": "X",
    "RegionOfResidence": "X",
    "RelatedFrameOfReferenceUID": "U",
    "RequestAttributesSequence": "X",
    "RequestedContrastAgent": "X",
    "RequestedProcedureComments": "X",
    "RequestedProcedureDescription": "X/Z",
    "RequestedProcedureID": "X",
    "RequestedProcedureLocation": "X",
    "RequestingPhysician": "X",
    "RequestingPhysicianIdentificationSequence": "X",
    "RequestingService": "X",
    "ResponsibleOrganization": "X",
    "ResponsiblePerson": "X",
    "ResultsComments": "X",
    "ResultsDistributionListSequence": "X",
    "ResultsIDIssuer": "X",
    "ReviewerName": "X/Z",
    "ScheduledHumanPerformersSequence": "X",
    "ScheduledPatientInstitutionResidence": "X",
    "ScheduledPerformingPhysicianIdentificationSequence": "X",
    "ScheduledPerformingPhysicianName": "X",
    "ScheduledProcedureStepDescription": "X",
    "ScheduledProcedureStepEndDate": "X",
    "ScheduledProcedureStepEndTime": "X",
    "ScheduledProcedureStepLocation": "X",
    "ScheduledProcedureStepStartDate": "X",
    "ScheduledProcedureStepStartTime": "X",
    "ScheduledStationAETitle": "X",
    "ScheduledStationGeographicLocationCodeSequence": "X",
    "ScheduledStationName": "X",
    "ScheduledStationNameCodeSequence": "X",
    "ScheduledStudyLocation": "X",
    "ScheduledStudyLocationAETitle": "X",
    "SeriesDate": "X/D",
    "SeriesDescription": "X",
    "SeriesInstanceUID": "U",
    "SeriesTime": "X/D",
    "ServiceEpisodeDescription": "X",
    "ServiceEpisodeID": "X",
    "SmokingStatus": "X",
    "SOPInstanceUID": "U",
    "SourceImageSequence": "X/Z/U*",
    "SpecialNeeds": "X",
    "StartAcquisitionDateTime": "X/D",
    "StationAETitle": "X",
    "StationName": "X/Z/D",
    "StorageMediaFileSetUID": "U",
    "StudyComments": "X",
    "StudyDate": "Z",
    "StudyDescription": "X",
    "StudyID": "Z",
    "StudyIDIssuer": "X",
    "StudyInstanceUID": "U",
    "StudyTime": "Z",
    "SynchronizationFrameOfReferenceUID": "U",
    "TemplateExtensionCreatorUID": "U",
    "TemplateExtensionOrganizationUID": "U",
    "TextComments": "X",
    "TextString": "X",
    "TimeOfLastCalibration": "X",
    "TimeOfSecondaryCapture": "X",
    "TimezoneOffsetFromUTC": "X",
    "TopicAuthor": "X",
    "TopicKeywords": "X",
    "TopicSubject": "X",
    "TopicTitle": "X",
    "TransactionUID": "U",
    "UID": "U",
    "VerifyingObserverIdentificationCodeSequence": "Z",
    "VerifyingObserverName": "D",
    "VerifyingObserverSequence": "D",
    "VerifyingOrganization": "X",
    "VisitComments": "X",
    # File Meta Information: the AE titles name the sending stations (Rayport's addition).
    "SourceApplicationEntityTitle": "X",
    "SendingApplicationEntityTitle": "X",
    "ReceivingApplicationEntityTitle": "X",
}

#: Where Rayport is stricter than the combined code would let it be.
_OVERRIDES: dict[str, Action] = {
    "PatientBirthDate": Action.EMPTY,  # a date, but never kept, even shifted
}

#: Tags of :data:`BASIC_PROFILE` (resolved once; a keyword pydicom does not know fails loudly).
PROFILE_TAGS: dict[int, str] = {}
for _keyword in BASIC_PROFILE:
    _tag = datadict.tag_for_keyword(_keyword)
    if _tag is None:
        raise LookupError(f"unknown DICOM keyword in the profile table: {_keyword}")
    PROFILE_TAGS[_tag] = _keyword


def resolve(code: str, vr: str, keyword: str = "") -> Action:
    """What Rayport does for the table's ``code`` on an element of VR ``vr``."""
    if keyword in _OVERRIDES:
        return _OVERRIDES[keyword]
    if code == "U" or (vr == "UI" and code != "X"):
        return Action.UID
    if vr in ("DA", "DT"):
        return Action.REMOVE if code == "X" else Action.SHIFT
    if vr == "TM":
        return Action.REMOVE if code == "X" else Action.KEEP
    if code == "X/Z/U*":  # a reference sequence: kept, with every UID in it remapped
        return Action.KEEP
    if code == "Z":
        return Action.EMPTY
    if code in ("D", "Z/D"):
        return Action.DUMMY if code == "D" or vr == "SQ" else Action.EMPTY
    if code == "K":
        return Action.KEEP
    return Action.REMOVE  # X, X/Z, X/D, X/Z/D: removal is always allowed


def is_curve_or_overlay(tag: int) -> bool:
    """Curve data (50xx,eeee) and overlay data or comments (60xx,3000 / 60xx,4000)."""
    group, element = tag >> 16, tag & 0xFFFF
    if 0x5000 <= group <= 0x501E and group % 2 == 0:
        return True
    return 0x6000 <= group <= 0x601E and group % 2 == 0 and element in (0x3000, 0x4000)
