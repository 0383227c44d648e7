"""demo_shop: a small Vietnamese web shop that shows zns_notify working end to end."""
