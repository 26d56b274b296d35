"""A: vtexbridge as an external seller on a VTEX marketplace (the ERP's prices, stock and orders)."""
