"""The audit app owns no domain records; the ledger and access log arrive with its issue."""
