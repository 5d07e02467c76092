"""The command-line entry points (`csrules`)."""
