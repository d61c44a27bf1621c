"""Sites, buildings, floors and the units (offices, shops) that are let: their areas, files,
splits and merges, dated status histories, occupancy and the vacancy board."""
