"""Everything that knows Zalo's URLs, JSON shapes and error codes lives in this package."""
