"""The marketplace protocols (docs/marketplace.md).

- :mod:`~vtexbridge.marketplace.seller` (A): the ERP's stock sold on a VTEX marketplace, vtexbridge
  serving the external seller's fulfillment endpoint and notifying the marketplace;
- :mod:`~vtexbridge.marketplace.affiliate` (B): a non-VTEX marketplace selling a VTEX seller's SKUs,
  vtexbridge serving the affiliate endpoints and placing orders on the seller.
"""
