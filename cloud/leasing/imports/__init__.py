"""Excel import and export of units, tenants and contracts (one workbook, a sheet each)."""
