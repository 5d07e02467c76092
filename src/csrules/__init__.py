"""csrules: customer-service house rules as typed, tested, documented policies."""
