"""Billing: the receivables ledger (entries, allocations, balances), billing runs from contract
schedules, legacy rent, meters and chargeable work, bills and arrears, late fees, deposits and
finance reports. The payments domain records money through `ledger.receive_payment`."""
