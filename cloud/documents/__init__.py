"""Printable documents (contracts now; bills and invoices later): a document is a list of
blocks, rendered as PDF with an embedded Chinese font, or as printable HTML where none is found."""
