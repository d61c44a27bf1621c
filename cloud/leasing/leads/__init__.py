"""Leads and opportunities (招商线索与商机): from the first visit to a draft contract, or lost."""
