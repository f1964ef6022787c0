"""Web pages for billing staff: the claim form, uploads, checklists, letters, policies, codes, the dashboard.

Served by the same FastAPI app as the REST/CDS service (preclaim.api.create_app includes `preclaim.web.router`).
"""
