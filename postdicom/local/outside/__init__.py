"""Sharing orders and folders with people outside the account: e-mail and link shares,
upload-only folders, the public side (``visitor``), and their e-mails (``mail``)."""
