"""Zalo Notification Service messages on order events, for Django shops."""

__version__ = "0.1.0"
