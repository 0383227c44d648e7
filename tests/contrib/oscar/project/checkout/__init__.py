"""The shop's fork of Oscar's checkout app: its payment step records a payment source."""
