"""The order pages, one module per job: list, create, detail, manage, bulk, recycle bin."""
