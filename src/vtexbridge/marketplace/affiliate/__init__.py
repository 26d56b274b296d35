"""B: vtexbridge as an external marketplace (an affiliate) selling a VTEX seller's SKUs."""
