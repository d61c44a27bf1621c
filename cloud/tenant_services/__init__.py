"""Services to tenants: notices, service requests, satisfaction surveys, fit-out (装修)
applications and move-out (撤场)."""
