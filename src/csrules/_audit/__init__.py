"""Bulk audits: judge a year of records in batches, on every core or a cluster (:mod:`csrules.audit`)."""
