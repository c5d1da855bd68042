"""Forms validate and convert; views hand ``cleaned_data`` (as drafts) to the service."""
