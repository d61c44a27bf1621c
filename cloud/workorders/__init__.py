"""Work orders: tenant requests, staff and alarm jobs, SLAs on a business clock, dispatch,
handling on a phone, chargeable work and ratings."""
