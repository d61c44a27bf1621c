"""Equipment and its upkeep: the ledger with its history, and preventive maintenance plans
that open work orders by the calendar or by a meter value."""
